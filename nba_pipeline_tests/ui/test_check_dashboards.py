"""The asset-check dashboards as a user sees them: `dagster dev` on a materialized instance,
driven by headless Chromium (Debian's chromium + chromium-driver; `make chromium` installs them).

The instance's run queue is closed (max_concurrent_runs: 0), so the daemon evaluates freshness
and sensors but launches nothing while the browser looks.

Screenshots land in screenshots/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance

from nba_pipeline.runner import run_range
from nba_pipeline_tests.checks.test_blocking import DAY, _land_duplicate_row
from nba_pipeline_tests.conftest import build_definitions_for

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
BOX_CHECKS = ["no_duplicate_player_games", "games_complete_vs_schedule", "players_per_team",
              "team_points_match_schedule", "points_arithmetic", "no_negative_stats",
              "schema_matches_ddl"]

if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("chromium/chromedriver missing: `make chromium` installs them")
    pytest.skip("chromium and chromium-driver are not installed (make chromium)",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dagster_dev(root: Path, dagster_home: Path, home: Path) -> Iterator[str]:
    """`dagster dev` (webserver + daemon) on `dagster_home`, the local profile in `home`, served on
    loopback; its URL. Stopped (its whole process group) on exit; output in root/webserver.log."""
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "NBA_PIPELINE_HOME": str(home)}
    log = (root / "webserver.log").open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1", "-p",
         str(port), "-w", str(REPO / "workspace.yaml")],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((root / "webserver.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # dagster dev, its webserver, daemon, code server
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A persisted instance: two backfilled days, then one bad re-landed day; served on loopback."""
    root = tmp_path_factory.mktemp("ui")
    dagster_home, home = root / "dagster_home", root / "home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 0\n")
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        defs = build_definitions_for(home)
        groups = AssetSelection.groups("landing", "raw")
        assert run_range(defs, date(2024, 3, 4), DAY, selection=groups, instance=instance).success
        _land_duplicate_row(home)
        assert not run_range(defs, DAY, DAY, selection=AssetSelection.groups("raw"),
                             instance=instance).success
    with dagster_dev(root, dagster_home, home) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1600,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait_for_text(driver, texts: list[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        body = driver.find_element("tag name", "body").text
        if all(t in body for t in texts) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def _shot(driver, name: str) -> Path:
    """Save a screenshot as screenshots/<name>.png (`name` may hold a sub-folder)."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path


def _dismiss_welcome(driver, timeout: float = 8) -> None:
    """The first visit pops up a community dialog; a person clicks Skip (remembered per profile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        buttons = driver.find_elements("xpath", "//button[normalize-space()='Skip']")
        if buttons:
            buttons[0].click()
            time.sleep(0.5)
            return
        time.sleep(0.25)


def _wait_loaded(driver, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while "Loading..." in driver.find_element("tag name", "body").text:
        if time.monotonic() > deadline:
            return
        time.sleep(0.5)


def _states(body: str) -> dict[str, str]:
    """Check name -> the state line under it in the checks list ('Succeeded', 'Failed', ...)."""
    lines, states = body.splitlines(), {}
    for i, name in enumerate(lines[:-1]):
        if name in BOX_CHECKS:
            states.setdefault(name, lines[i + 1])  # the list comes first; the detail pane later
    return states


def test_asset_graph_shows_the_pipeline(webserver, browser):
    browser.get(f"{webserver}/locations/nba_pipeline/asset-groups/raw")
    _dismiss_welcome(browser)
    body = _wait_for_text(browser, ["player_boxscores", "schedule", "player_prop_lines",
                                    "Asset checks", "7 / 9 Passed"])
    _wait_loaded(browser)
    shot = _shot(browser, "asset_graph_raw")
    assert all(name in body for name in ["player_boxscores", "schedule", "player_prop_lines",
                                         "nba_boxscores"])
    # ...and the group's edges out to the next phases (which of them fit in the viewport
    # depends on the layout: the injury report now also feeds features and predictions)
    assert {"upcoming_player_game_context", "player_game_summary", "player_prop_predictions",
            "ml_feature_store_v2"} & set(body.split()), body
    body = browser.find_element("tag name", "body").text
    assert "Loading..." not in body
    # Each node sums its checks: the bad day failed 2 of player_boxscores' 9 checks.
    assert "7 / 9 Passed" in body and "3 / 3 Passed" in body, body
    assert shot.stat().st_size > 10_000


def test_checks_tab_shows_names_and_states(webserver, browser):
    browser.get(f"{webserver}/assets/nba_raw/player_boxscores?view=checks")
    _dismiss_welcome(browser, timeout=2)
    body = _wait_for_text(browser, [*BOX_CHECKS, "Failed", "Succeeded"])
    states = _states(body)
    assert set(states) == set(BOX_CHECKS), body[:2000]
    # The bad re-landed day failed the duplicate and team-points checks; the rest still pass.
    assert states["no_duplicate_player_games"] == "Failed"
    assert states["team_points_match_schedule"] == "Failed"
    assert {states[c] for c in ("points_arithmetic", "players_per_team", "schema_matches_ddl",
                                "games_complete_vs_schedule")} == {"Succeeded"}
    _shot(browser, "player_boxscores_checks")

    browser.find_element("xpath", "//*[normalize-space()='no_duplicate_player_games']").click()
    detail = _wait_for_text(browser, ["duplicate_rows", "0 duplicate rows", "2024-03-05"])
    assert "duplicate_rows" in detail and "2024-03-05" in detail and "0 duplicate rows" in detail
    assert _shot(browser, "no_duplicate_player_games_failed").stat().st_size > 10_000


def test_freshness_state_shows_on_the_asset(webserver, browser):
    """The daemon evaluates box scores' 06:00 ET policy; the overview shows its state."""
    browser.get(f"{webserver}/assets/nba_raw/player_boxscores")
    _dismiss_welcome(browser, timeout=2)
    body = _wait_for_text(browser, ["Freshness policy", "Deadline: At 06:00 AM"])
    deadline = time.monotonic() + 45
    while "Not evaluated" in body and time.monotonic() < deadline:
        time.sleep(3)
        browser.refresh()
        body = _wait_for_text(browser, ["Freshness policy"])
    _shot(browser, "player_boxscores_freshness")
    assert "Deadline: At 06:00 AM" in body
    # Materialized minutes ago, i.e. after the latest 06:00 ET deadline tick: passing.
    assert "Passing" in body, body[:3000]
