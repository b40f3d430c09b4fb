"""The operator's flow in headless Chromium: a date-range backfill launched from the UI, run by the
daemon, then its days and their check results read back in the UI.

`dagster dev` (webserver + daemon, the repo's dagster.yaml: run queue and pools) serves a prepared
on-disk instance on the replay profile, with the three days' files landed and parsed in process
(so the landing sensor has nothing new to request: the backfill re-runs the box scores, as an
operator re-runs a range). In the browser: open `nba_raw/player_boxscores`, Materialize -> type
the range -> Launch backfill, open the backfill (Overview -> Backfills) and wait there until it
succeeded; then
the Partitions tab shows the three days materialized and the Checks tab one result per day.

Screenshots: screenshots/operator_backfill/ (gitignored), named by step.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import date

import pytest
from dagster import AssetCheckKey, AssetSelection, DagsterInstance
from dagster._core.storage.tags import AUTOMATION_CONDITION_TAG
from selenium.webdriver.common.keys import Keys

from nba_pipeline.commands.instance import declared_pools, prepare_home
from nba_pipeline.paths import checkout_root
from nba_pipeline.runner import run_range
from nba_pipeline_tests.checks.test_blocking import BOX
from nba_pipeline_tests.conftest import build_definitions_for
from nba_pipeline_tests.ui.test_check_dashboards import (
    _dismiss_welcome,
    _shot,
    _wait_for_text,
    browser,  # noqa: F401  (the shared headless Chromium fixture)
    dagster_dev,
)

START, END = date(2024, 3, 4), date(2024, 3, 6)
DAYS = ["2024-03-04", "2024-03-05", "2024-03-06"]
RANGE_TEXT = "[2024-03-04...2024-03-06]"  # the partition picker's range syntax
SHOTS = "operator_backfill"
# Bounds for waiting on the daemon (its backfill loop ticks every 30 s): give up, never assert.
BACKFILL_WAIT_S = 420
CLICK = ("const el = [...document.querySelectorAll(arguments[1])].find("
         "e => e.innerText && (arguments[2] ? e.innerText.trim() === arguments[0]"
         " : e.innerText.trim().startsWith(arguments[0])));"
         "if (el) { el.click(); return true; } return false;")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def operator_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The URL of `dagster dev` on a prepared home whose range is landed, and its DAGSTER_HOME."""
    root = tmp_path_factory.mktemp("operator_ui")
    dagster_home, home = root / "dagster_home", root / "home"
    dagster_home.mkdir()
    shutil.copy(checkout_root() / "dagster.yaml", dagster_home / "dagster.yaml")
    defs = build_definitions_for(home)
    prepare_home(dagster_home, declared_pools(defs))
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        ready = run_range(defs, START, END, instance=instance,
                          selection=AssetSelection.groups("landing", "raw"))
        assert ready.success, ready.failure
    with dagster_dev(root, dagster_home, home) as url:
        yield url, str(dagster_home)


def _click(driver, text: str, selector: str = "button", exact: bool = False) -> bool:
    """Click the first `selector` element whose text starts with (or is) `text`."""
    return bool(driver.execute_script(CLICK, text, selector, exact))


def _wait_click(driver, text: str, selector: str = "button", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not _click(driver, text, selector):
        assert time.monotonic() < deadline, f"no {selector} '{text}' on {driver.current_url}"
        time.sleep(0.5)


def _launch_range_backfill(driver, url: str) -> str:
    """Materialize -> the range in the partition picker -> Launch backfill; the backfill page."""
    driver.get(f"{url}/assets/nba_raw/player_boxscores")
    _dismiss_welcome(driver)
    _wait_click(driver, "Materialize")
    body = _wait_for_text(driver, ["Partition selection", "Launch backfill"])
    assert "Backfills all partitions in a single run" in body  # BackfillPolicy.single_run()
    # 2024 is outside the picker's default last 90 days
    _click(driver, "Show all partitions", "a, button, span", exact=True)
    _wait_for_text(driver, ["All time"])  # the picker re-renders over every partition
    (picker,) = driver.find_elements("css selector", "[role=dialog] input[type=text]")
    picker.click()
    picker.send_keys(Keys.CONTROL, "a")
    # Tab applies the typed range; Enter could also submit the dialog (a second backfill).
    picker.send_keys(RANGE_TEXT, Keys.TAB)
    body = _wait_for_text(driver, ["3 partitions"], timeout=10)
    _shot(driver, f"{SHOTS}/1_range_picked")
    assert "3 partitions" in body, body[-1500:]
    _wait_click(driver, "Launch backfill")
    body = _wait_for_text(driver, ["Created backfill"])
    _shot(driver, f"{SHOTS}/2_backfill_created")
    driver.get(f"{url}/overview/backfills")  # the toast fades; the list keeps the backfill
    _wait_click(driver, "", "a[href*='/runs/b/']")
    _wait_for_text(driver, ["Partition selection"])
    assert "/runs/b/" in driver.current_url, driver.current_url
    return driver.current_url


def _wait_backfill_done(driver) -> str:
    """Reload the backfill page until its status leaves 'In progress'; the page text."""
    deadline = time.monotonic() + BACKFILL_WAIT_S
    while True:
        body = _wait_for_text(driver, ["Status"])
        status = body.split("Status\n", 1)[-1].split("\n", 1)[0]
        if status not in ("In progress", "Requested", "") or time.monotonic() > deadline:
            return body
        time.sleep(5)
        driver.refresh()


def test_range_backfill_from_the_ui(operator_ui, browser):  # noqa: F811
    url, dagster_home = operator_ui
    backfill_page = _launch_range_backfill(browser, url)

    body = _wait_backfill_done(browser)
    _shot(browser, f"{SHOTS}/3_backfill_succeeded")
    assert "Status\nSucceeded" in body and "100% completed" in body, body[-2000:]
    assert "2024-03-04...2024-03-06" in body  # the partition selection it ran

    browser.get(f"{url}/assets/nba_raw/player_boxscores?view=partitions")
    body = _wait_for_text(browser, ["Materialized (3)"])
    _shot(browser, f"{SHOTS}/4_partitions_tab")
    assert "Materialized (3)" in body and "Failed (0)" in body, body[:2000]

    browser.get(f"{url}/assets/nba_raw/player_boxscores?view=checks"
                "&checkDetail=no_duplicate_player_games")
    _wait_click(browser, "Execution history", "*")
    body = _wait_for_text(browser, ["Partition", *DAYS])
    _shot(browser, f"{SHOTS}/5_checks_per_day")
    history = body[body.index("Evaluation result"):]
    for day in DAYS:  # one passed result per day, each naming its partition
        assert day in history, history[:1500]
    assert history.count("Passed") >= len(DAYS) and "Failed" not in history

    # The same results in the instance: the backfill's one run wrote one row per day.
    with DagsterInstance.from_config(dagster_home) as instance:
        # The operator's one backfill. Automation may follow the new box scores downstream
        # with backfills of its own (tagged from_automation_condition): those are not the UI's.
        backfills = instance.get_backfills()
        launched = [b for b in backfills if AUTOMATION_CONDITION_TAG not in b.tags]
        assert [b.backfill_id for b in launched] == [
            backfill_page.rsplit("/runs/b/", 1)[1].split("?")[0]], [
            (b.backfill_id, b.status, b.tags) for b in backfills]
        (backfill,) = launched
        runs = [r for r in instance.get_runs()
                if r.tags.get("dagster/backfill") == backfill.backfill_id]
        assert len(runs) == 1
        rows = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(BOX, "no_duplicate_player_games"), limit=10)
        assert sorted(r.partition for r in rows if r.run_id == runs[0].run_id) == DAYS
