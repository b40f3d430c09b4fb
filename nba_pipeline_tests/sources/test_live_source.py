"""LiveSource end to end over loopback HTTP: landing assets, fallbacks, faults, secrets.

Every test runs the real landing (and raw) assets against a real local landing store and DuckDB,
so "what was received is landed" is asserted on the store, not on a mock.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date, datetime, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    Definitions,
    EnvVar,
    asset,
)
from dagster import materialize as dagster_materialize

from nba_pipeline.defs.landing.assets import landing_assets
from nba_pipeline.defs.raw.assets import raw_assets
from nba_pipeline.profiles import local_resources
from nba_pipeline.runner import RangeRunResult, run_range
from nba_pipeline.sources.clients import NbaComClient, OddsApiClient
from nba_pipeline.sources.live import FetchFailed, LiveSource
from nba_pipeline.storage.landing import LandedKey, LocalLandingStore
from nba_pipeline_tests.sources.conftest import BDL_KEY, FAST, ODDS_KEY, live_source
from nba_pipeline_tests.sources.fake_api import FakeApi, Reply, ok, sample, sample_json

STATS_SCHEDULE = "/stats/scheduleleaguev2"
GAMELOG = "/stats/leaguegamelog"
ESPN = "/apis/site/v2/sports/basketball/nba/scoreboard"
BDL_GAMES = "/v1/games"
BDL_BOX = "/v1/box_scores"
EVENTS = "/v4/sports/basketball_nba/events"
MLK_DAY = date(2024, 1, 15)  # ESPN scoreboard + BDL box scores recorded for this date


def keys(store: LocalLandingStore, prefix: str = "") -> list[str]:
    """Payload keys only: each fetch's `_manifest.json` is tested in test_landing_attacks."""
    return [k for k in store.list_keys(prefix) if not k.endswith("/_manifest.json")]


def check_results(instance, run_id: str, asset: str,  # noqa: ANN001
                  partition: str | None = None) -> dict[str, object]:
    """Check evaluations of one run for one asset, by check name (of one game day if given:
    checks report one result per day)."""
    out = {}
    for record in instance.get_records_for_run(run_id=run_id, limit=10_000).records:
        event = record.event_log_entry.dagster_event
        if event and event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if data.asset_key == AssetKey(asset.split("/")) and (
                    partition is None or data.partition == partition):
                out[data.check_name] = data
    return out


def step_error(instance, run_id: str) -> str:  # noqa: ANN001
    """The full error chain of the run's failed step (Dagster wraps the source's error)."""
    for record in instance.get_records_for_run(run_id=run_id, limit=10_000).records:
        event = record.event_log_entry.dagster_event
        if event and event.is_step_failure and event.step_failure_data:
            error, parts = event.step_failure_data.error, []
            while error is not None:
                parts.append(error.message)
                error = error.cause
            return "\n".join(parts)
    return ""


def materialization_metadata(instance, asset: str) -> dict[str, object]:  # noqa: ANN001
    event = instance.get_latest_materialization_event(AssetKey(asset.split("/")))
    assert event is not None
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_boxscores_500s_then_success_land_one_payload(api: FakeApi, store, materialize) -> None:
    body = sample("nbac_player_boxscore/raw_2ad17718.json")
    api.route(GAMELOG, [Reply(500), Reply(500), ok(body)])
    result, _ = materialize(live_source(api.base_url), date(2025, 3, 15), "landing/nba_boxscores")
    assert result.success, result.failure
    assert len(api.hits(GAMELOG)) == 3
    landed = keys(store)
    assert [LandedKey.parse(k).endpoint for k in landed] == ["leaguegamelog"]
    assert store.read_bytes(landed[0]) == body
    sent = api.hits(GAMELOG)[-1]
    assert sent.query["DateFrom"] == ["2025-03-15"] and sent.query["Season"] == ["2024-25"]
    assert sent.headers["x-nba-stats-origin"] == "stats"


def test_schedule_from_nba_com_passes_the_source_check(api: FakeApi, store, materialize) -> None:
    api.route(STATS_SCHEDULE, [ok(sample("nbac_schedule_api/raw_80cb1fd6.json.gz"))])
    result, instance = materialize(live_source(api.base_url), date(2025, 3, 15),
                                   "landing/nba_schedule", "nba_raw/schedule")
    assert result.success, result.failure
    assert materialization_metadata(instance, "landing/nba_schedule")["sources"] == ["nba_com"]
    assert materialization_metadata(instance, "nba_raw/schedule")["games"] > 0
    checks = check_results(instance, result.run_id, "nba_raw/schedule")
    assert checks["schedule_primary_source"].passed


def test_schedule_falls_back_to_espn_warns_and_reparses_offline(
        api: FakeApi, store, materialize) -> None:
    api.route(STATS_SCHEDULE, [Reply(503)])
    api.route(ESPN, [ok(sample("espn_scoreboard_api/raw_92de7c9a.json"))])
    source = live_source(api.base_url)
    result, instance = materialize(source, MLK_DAY, "landing/nba_schedule", "nba_raw/schedule")
    assert result.success, result.failure
    assert len(api.hits(STATS_SCHEDULE)) == 3 and len(api.hits(ESPN)) == 1
    assert api.hits(ESPN)[0].query["dates"] == ["20240115"]
    assert [LandedKey.parse(k).source for k in keys(store)] == ["espn"]
    assert materialization_metadata(instance, "landing/nba_schedule")["sources"] == ["espn"]
    check = check_results(instance, result.run_id, "nba_raw/schedule")["schedule_primary_source"]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert materialization_metadata(instance, "nba_raw/schedule")["games"] == 11

    # Re-parsing the day needs no network: stop the server, run the raw asset alone.
    api.server.shutdown()
    api.server.server_close()
    again, instance = materialize(source, MLK_DAY, "nba_raw/schedule")
    assert again.success, again.failure
    assert materialization_metadata(instance, "nba_raw/schedule")["games"] == 11


def test_all_schedule_sources_down_is_a_clear_failure(api: FakeApi, store, materialize) -> None:
    for path in (STATS_SCHEDULE, ESPN, BDL_GAMES):
        api.route(path, [Reply(500)])
    source = live_source(api.base_url)
    with pytest.raises(FetchFailed) as err:
        list(source.fetch_schedule(MLK_DAY))
    msg = str(err.value)
    assert "schedule for game date 2024-01-15: every source failed" in msg
    for name, path in (("nba_com", STATS_SCHEDULE), ("espn", ESPN), ("balldontlie", BDL_GAMES)):
        assert f"{name}: GET {api.base_url}{path}" in msg
        assert len(api.hits(path)) == 3
    result, instance = materialize(source, MLK_DAY, "landing/nba_schedule")
    assert not result.success
    assert "schedule for game date 2024-01-15: every source failed" in step_error(
        instance, result.run_id)
    assert keys(store) == []  # no payload was received, so none is landed


def test_malformed_json_is_kept_not_retried_and_falls_back(api: FakeApi, store,
                                                           materialize) -> None:
    broken = b'{"leagueSchedule": {"seasonYear": "2023-24", "gameDates": ['
    api.route(STATS_SCHEDULE, [Reply(200, broken)])
    api.route(ESPN, [ok(sample("espn_scoreboard_api/raw_92de7c9a.json"))])
    result, instance = materialize(live_source(api.base_url), MLK_DAY,
                                   "landing/nba_schedule", "nba_raw/schedule")
    assert result.success, result.failure
    assert len(api.hits(STATS_SCHEDULE)) == 1  # a 200 with a bad body is not retried away
    rejected = keys(store, "nba_com/schedule.rejected/")
    assert len(rejected) == 1 and store.read_bytes(rejected[0]) == broken
    # The fallback's fetch is strictly newer, so "latest fetch" always names the source used.
    espn_key = keys(store, "espn/scoreboard/")[0]
    assert LandedKey.parse(espn_key).fetched_at > LandedKey.parse(rejected[0]).fetched_at
    # The raw table only read the ESPN payload; the bad one stays quarantined.
    assert materialization_metadata(instance, "nba_raw/schedule")["games"] == 11


def test_renamed_field_is_kept_and_named(api: FakeApi, store, materialize) -> None:
    data = sample_json("nbac_player_boxscore/raw_2ad17718.json")
    headers = data["resultSets"][0]["headers"]
    headers[headers.index("PTS")] = "POINTS"
    body = json.dumps(data).encode()
    api.route(GAMELOG, [ok(body)])
    api.route(BDL_BOX, [Reply(500)])
    source = live_source(api.base_url)
    with pytest.raises(FetchFailed) as err:
        list(source.fetch_boxscores(date(2025, 3, 15)))
    msg = str(err.value)
    assert "'PTS'" in msg and "nba_com/leaguegamelog" in msg and "2025-03-15" in msg
    assert f"{api.base_url}{GAMELOG}?" in msg and "balldontlie: GET" in msg
    result, instance = materialize(source, date(2025, 3, 15), "landing/nba_boxscores")
    assert not result.success and "'PTS'" in step_error(instance, result.run_id)
    rejected = keys(store, "nba_com/leaguegamelog.rejected/")
    assert len(rejected) == 1 and store.read_bytes(rejected[0]) == body
    assert keys(store, "nba_com/leaguegamelog/") == []


def test_hanging_boxscores_fall_back_to_balldontlie(api: FakeApi, store, materialize) -> None:
    api.route(GAMELOG, [Reply(200, b"{}", delay=1.0)])
    api.route(STATS_SCHEDULE, [Reply(503)])
    api.route(ESPN, [ok(sample("espn_scoreboard_api/raw_92de7c9a.json"))])
    api.route(BDL_BOX, [ok(sample("bdl_box_scores/raw_7a649e12.json"))])
    result, instance = materialize(
        live_source(api.base_url), MLK_DAY, "landing/nba_schedule", "landing/nba_boxscores",
        "nba_raw/schedule", "nba_raw/player_boxscores")
    assert result.success, result.failure
    assert len(api.hits(GAMELOG)) == 3  # three read timeouts, then the fallback
    assert api.hits(BDL_BOX)[0].headers["Authorization"] == BDL_KEY
    assert api.hits(BDL_BOX)[0].query["date"] == ["2024-01-15"]
    meta = materialization_metadata(instance, "nba_raw/player_boxscores")
    assert meta["games"] == 11 and meta["player_games"] > 200
    checks = check_results(instance, result.run_id, "nba_raw/player_boxscores")
    # ESPN schedule and BDL box scores share the fallback game key, so completeness holds.
    assert checks["games_complete_vs_schedule"].passed
    assert checks["points_arithmetic"].passed


def test_empty_day_lands_and_parses_to_no_rows(api: FakeApi, store, materialize) -> None:
    # Election day: no games, still a partition (not a day the NBA never plays).
    election_day = date(2024, 11, 5)
    api.route(STATS_SCHEDULE, [Reply(500)])
    api.route(GAMELOG, [Reply(500)])
    api.route(ESPN, [ok(sample("nbac_game_ids_core/raw_20250214.json"))])
    api.route(BDL_BOX, [ok(sample("bdl_box_scores/raw_d62cc934.json"))])
    result, instance = materialize(
        live_source(api.base_url), election_day, "landing/nba_schedule",
        "landing/nba_boxscores", "nba_raw/schedule", "nba_raw/player_boxscores")
    assert result.success, result.failure
    assert sorted(LandedKey.parse(k).endpoint for k in keys(store)) == ["box_scores",
                                                                        "scoreboard"]
    assert materialization_metadata(instance, "nba_raw/schedule")["games"] == 0
    assert materialization_metadata(instance, "nba_raw/player_boxscores")["player_games"] == 0


def test_balldontlie_paging_lands_every_page_under_one_fetch(api: FakeApi, store,
                                                             materialize) -> None:
    day = date(2025, 2, 20)
    games = sample_json("bdl_games/raw_278cb9ed.json")["data"]
    pages = {"": (games[:3], 101), "101": (games[3:6], 102), "102": (games[6:], None)}

    def paged(query: dict[str, list[str]]) -> Reply:
        rows, nxt = pages[query.get("cursor", [""])[0]]
        meta = {"per_page": 3, **({"next_cursor": nxt} if nxt else {})}
        return ok({"data": rows, "meta": meta})

    api.route(STATS_SCHEDULE, [Reply(500)])
    api.route(ESPN, [Reply(404)])
    api.route(BDL_GAMES, paged)
    result, instance = materialize(live_source(api.base_url), day, "landing/nba_schedule",
                                   "nba_raw/schedule")
    assert result.success, result.failure
    assert [h.query.get("cursor") for h in api.hits(BDL_GAMES)] == [None, ["101"], ["102"]]
    assert all(h.query["dates[]"] == ["2025-02-20"] for h in api.hits(BDL_GAMES))
    assert len(api.hits(ESPN)) == 1  # a 404 is not retried
    landed = keys(store, "balldontlie/games/")
    assert [LandedKey.parse(k).name for k in landed] == [
        "games_p001.json", "games_p002.json", "games_p003.json"]
    assert len({LandedKey.parse(k).fetched_at for k in landed}) == 1
    assert materialization_metadata(instance, "nba_raw/schedule")["games"] == 9
    checks = check_results(instance, result.run_id, "nba_raw/schedule")
    assert not checks["schedule_primary_source"].passed


def _odds_routes(api: FakeApi, failing: str | None = None, historical: bool = False) -> list[str]:
    ids = ["f54c4a22568ce9dc33fb410d1b0e75e9", "f9f3f99b5124a4ecf984003f0af23d2e"]
    bodies = {i: sample_json(f"oddsapi_event_odds/event_odds_player_points_{i}.json")
              for i in ids}
    events = [{k: b[k] for k in ("id", "sport_key", "commence_time", "home_team", "away_team")}
              for b in bodies.values()]
    quota = {"x-requests-remaining": "19873", "x-requests-used": "127", "x-requests-last": "1"}
    prefix = "/v4/historical/sports/basketball_nba" if historical else "/v4/sports/basketball_nba"
    snapshot = "2024-02-22T15:00:00Z"
    api.route(f"{prefix}/events", [ok({"timestamp": snapshot, "data": events} if historical
                                      else events, **quota)])
    for i, body in bodies.items():
        wrapped = {"timestamp": snapshot, "data": body} if historical else body
        api.route(f"{prefix}/events/{i}/odds",
                  [Reply(500)] if i == failing else [ok(wrapped, **quota)])
    return ids


def test_odds_one_event_failing_keeps_the_rest_and_hides_the_key(
        api: FakeApi, store, materialize, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ids = _odds_routes(api, failing="f9f3f99b5124a4ecf984003f0af23d2e")
    day = date(2024, 2, 22)  # both events tip off 2024-02-22 evening, US/Eastern
    source = live_source(api.base_url)
    with pytest.raises(FetchFailed) as err:
        list(source.fetch_player_points_odds(day))
    msg = str(err.value)
    assert "odds_api: GET" in msg and "apiKey=***" in msg and "2024-02-22" in msg
    assert f"/events/{ids[1]}/odds" in msg and "HTTP 500" in msg

    result, instance = materialize(source, day, "landing/odds_player_points")
    assert not result.success
    assert sorted(LandedKey.parse(k).name for k in keys(store)) == ["events.json",
                                                                    f"{ids[0]}.json"]
    # The key was sent (query param) but appears nowhere we keep or show.
    assert all(h.query["apiKey"] == [ODDS_KEY] for h in api.requests)
    assert api.hits(f"{EVENTS}/{ids[0]}/odds")[0].query["markets"] == ["player_points"]
    failure = step_error(instance, result.run_id)
    assert f"/events/{ids[1]}/odds" in failure
    shown = [msg, caplog.text, failure]
    shown += [store.read_bytes(k).decode() for k in store.list_keys()] + store.list_keys()
    for record in instance.get_records_for_run(run_id=result.run_id).records:
        shown.append(str(record.event_log_entry))
    assert all(ODDS_KEY not in text for text in shown)
    assert any("apiKey=***" in text for text in shown)
    # urllib3's own debug lines print request URLs: they were captured, and scrubbed.
    assert any(r.name.startswith("urllib3") and "apiKey=***" in r.getMessage()
               for r in caplog.records)



def _lines_parsed_without_schedule(result: RangeRunResult) -> None:
    """These runs land odds only: the lines parse and are written, and the one failed check is
    `lines_match_schedule`, correctly, as no schedule exists for the day (docs/checks.md)."""
    assert result.checks_failed == ["nba_raw/player_prop_lines:lines_match_schedule"], (
        result.failure)

def test_odds_payload_metadata_has_quota_not_key(api: FakeApi) -> None:
    _odds_routes(api)
    payloads = list(live_source(api.base_url).fetch_player_points_odds(date(2024, 2, 22)))
    assert [p.endpoint for p in payloads] == ["events", "event_odds_player_points",
                                              "event_odds_player_points"]
    for p in payloads:
        assert p.metadata["x_requests_remaining"] == "19873"
        assert p.metadata["x_requests_used"] == "127"
        assert ODDS_KEY not in json.dumps(p.metadata) and ODDS_KEY not in p.url
        assert "apiKey=***" in p.url


def test_historical_odds_land_and_parse(api: FakeApi, store, materialize) -> None:
    ids = _odds_routes(api, historical=True)
    source = live_source(api.base_url, odds_mode="historical")
    result, instance = materialize(source, date(2024, 2, 22), "landing/odds_player_points",
                                   "nba_raw/player_prop_lines")
    _lines_parsed_without_schedule(result)
    hist = "/v4/historical/sports/basketball_nba/events"
    assert api.hits(hist)[0].query["date"] == ["2024-02-22T15:00:00Z"]
    assert len(keys(store, "odds_api/event_odds_player_points_historical/")) == len(ids)
    assert materialization_metadata(instance, "nba_raw/player_prop_lines")["lines"] > 100


def test_balldontlie_key_never_logged_on_failure(api: FakeApi,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.route(BDL_BOX, [Reply(500)])
    api.route(GAMELOG, [Reply(403)])
    with pytest.raises(FetchFailed) as err:
        list(live_source(api.base_url).fetch_boxscores(MLK_DAY))
    assert api.hits(BDL_BOX)[0].headers["Authorization"] == BDL_KEY
    assert len(api.hits(GAMELOG)) == 1  # 403: not retried
    assert BDL_KEY not in str(err.value) and BDL_KEY not in caplog.text
    assert "balldontlie: GET" in caplog.text  # the retries were logged, redacted


def test_boxscores_fetch_every_season_type(api: FakeApi, store, materialize) -> None:
    regular = sample_json("nbac_player_boxscore/raw_2ad17718.json")

    def by_type(query: dict[str, list[str]]) -> Reply:
        season_type = query["SeasonType"][0]
        if season_type == "Regular Season":
            return ok(regular)
        empty = json.loads(json.dumps(regular))
        empty["parameters"]["SeasonType"] = season_type
        empty["resultSets"][0]["rowSet"] = []
        return ok(empty)

    api.route(GAMELOG, by_type)
    source = live_source(api.base_url, season_types=["Regular Season", "PlayIn", "Playoffs"])
    result, _ = materialize(source, date(2025, 3, 15), "landing/nba_boxscores")
    assert result.success, result.failure
    assert [h.query["SeasonType"] for h in api.hits(GAMELOG)] == [
        ["Regular Season"], ["PlayIn"], ["Playoffs"]]
    assert sorted(LandedKey.parse(k).name for k in keys(store)) == [
        "leaguegamelog.json", "leaguegamelog_playin.json", "leaguegamelog_playoffs.json"]


def test_season_schedule_is_fetched_once_for_a_multi_day_run(api: FakeApi, store,
                                                             materialize) -> None:
    api.route(STATS_SCHEDULE, [ok(sample("nbac_schedule_api/raw_80cb1fd6.json.gz"))])
    defs_source = live_source(api.base_url)
    for day in (date(2025, 3, 14), date(2025, 3, 15), date(2025, 3, 16)):
        payloads = list(defs_source.fetch_schedule(day))
        assert [p.metadata["source_used"] for p in payloads] == ["nba_com"]
    assert len(api.hits(STATS_SCHEDULE)) == 1  # the ~9 MB season file is reused across dates


def test_current_season_schedule_comes_from_the_cdn(api: FakeApi) -> None:
    cdn = "/static/json/staticData/scheduleLeagueV2.json"
    api.route(cdn, [ok(sample("nbac_schedule_cdn/raw_68953816.json"))])
    today = datetime.now(ZoneInfo("America/New_York")).date()
    payloads = list(live_source(api.base_url).fetch_schedule(today))
    assert len(api.hits(cdn)) == 1 and api.hits(STATS_SCHEDULE) == []
    assert payloads[0].url == f"{api.base_url}{cdn}"
    client = NbaComClient(base_url="https://stats.nba.com", cdn_base_url="https://cdn.nba.com")
    assert client.schedule_url(date(2024, 1, 15), today=date(2024, 3, 1)).startswith(
        "https://cdn.nba.com/static/json/staticData/scheduleLeagueV2.json")
    assert client.schedule_url(date(2023, 1, 15), today=date(2024, 3, 1)) == (
        "https://stats.nba.com/stats/scheduleleaguev2?LeagueID=00&Season=2022-23")


def test_a_client_is_a_resource_configured_from_the_environment(api: FakeApi) -> None:
    _odds_routes(api)

    @asset
    def events(odds: OddsApiClient) -> int:
        _, found, _ = odds.events(date(2024, 2, 22), datetime(2024, 2, 22, 14, tzinfo=timezone.utc))
        return len(found)

    client = OddsApiClient(base_url=api.base_url, api_key=EnvVar("ODDS_API_KEY"), mode="live",
                           policy=FAST)
    result = dagster_materialize([events], resources={"odds": client})
    assert result.success and result.output_for_node("events") == 2
    assert api.hits(EVENTS)[0].query["apiKey"] == [ODDS_KEY]


def test_missing_api_key_names_the_variable_only(api: FakeApi,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ODDS_API_KEY")
    with pytest.raises(FetchFailed, match="set the ODDS_API_KEY environment variable"):
        list(live_source(api.base_url).fetch_player_points_odds(date(2024, 2, 22)))
    assert api.requests == []


def test_profile_selects_live_clients_from_the_environment(
        api: FakeApi, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("NBA_PIPELINE_SOURCE", "live")
    for var in ("NBA_STATS_BASE_URL", "NBA_CDN_BASE_URL", "ESPN_BASE_URL",
                "BALLDONTLIE_BASE_URL", "ODDS_API_BASE_URL", "NBA_INJURY_REPORT_BASE_URL"):
        monkeypatch.setenv(var, api.base_url)
    api.route(STATS_SCHEDULE, [Reply(404)])  # not retried: keeps the default policy fast
    api.route(GAMELOG, [Reply(404)])
    api.route(ESPN, [ok(sample("espn_scoreboard_api/raw_92de7c9a.json"))])
    api.route(BDL_BOX, [ok(sample("bdl_box_scores/raw_7a649e12.json"))])
    api.route("/v4/historical/sports/basketball_nba/events",
              [ok({"timestamp": "2024-01-15T15:00:00Z", "data": []})])
    api.route("/v4/historical/sports/basketball_nba/odds",
              [ok({"timestamp": "2024-01-15T15:00:00Z", "data": []})])
    # No injury report PDF is published (404 for every hour): Ball Don't Lie's list instead.
    api.route("/v1/player_injuries", [ok({"data": [], "meta": {"next_cursor": None}})])
    resources = local_resources(tmp_path)
    assert isinstance(resources["nba_source"], LiveSource)
    defs = Definitions(assets=[*landing_assets, *raw_assets], resources=resources)
    with DagsterInstance.ephemeral() as instance:
        result = run_range(defs, MLK_DAY, MLK_DAY, instance=instance)
        assert result.success, result.failure
        games = instance.get_latest_materialization_event(AssetKey(["nba_raw", "schedule"]))
    assert games.asset_materialization.metadata["games"].value == 11
    store = LocalLandingStore(base_dir=str(tmp_path / "landing"))
    assert {LandedKey.parse(k).source for k in store.list_keys()} == {
        "espn", "balldontlie", "odds_api"}
    assert api.hits("/v4/historical/sports/basketball_nba/events")[0].query["date"] == [
        "2024-01-15T15:00:00Z"]
    assert len([r for r in api.requests if r.path.startswith("/referee/injury/")]) == 8


def test_boxscore_v3_is_landed_and_one_failing_game_does_not_drop_the_day(
        api: FakeApi, store, materialize, caplog: pytest.LogCaptureFixture) -> None:
    gamelog = sample_json("nbac_player_boxscore/raw_2ad17718.json")
    game_ids = sorted({row[6] for row in gamelog["resultSets"][0]["rowSet"]})
    v3 = sample("nba_api_docs/boxscoretraditionalv3.json")

    def box_v3(query: dict[str, list[str]]) -> Reply:
        game_id = query["GameID"][0]
        if game_id == game_ids[0]:
            return Reply(500)
        if game_id == game_ids[1]:
            return ok(v3)  # the recorded game (0022500165), not the one asked for
        return ok(v3.replace(b'"0022500165"', f'"{game_id}"'.encode()))

    api.route(GAMELOG, [ok(gamelog)])
    api.route("/stats/boxscoretraditionalv3", box_v3)
    api.route(BDL_BOX, [ok(sample("bdl_box_scores/raw_d62cc934.json"))])
    source = live_source(api.base_url, fetch_boxscore_v3=True)
    result, _ = materialize(source, date(2025, 3, 15), "landing/nba_boxscores")
    assert result.success, result.failure
    assert api.hits(BDL_BOX) == []  # nba.com stayed the source for the day
    landed = keys(store, "nba_com/boxscoretraditionalv3/")
    assert sorted(LandedKey.parse(k).name for k in landed) == [f"{g}.json" for g in game_ids[2:]]
    # The answer for the wrong game is kept, quarantined, and named in the log.
    wrong = keys(store, "nba_com/boxscoretraditionalv3.rejected/")
    assert [LandedKey.parse(k).name for k in wrong] == [f"{game_ids[1]}.json"]
    assert f"'boxScoreTraditional.gameId' is 0022500165, asked for {game_ids[1]}" in caplog.text
    assert len(api.hits("/stats/boxscoretraditionalv3")) == len(game_ids) + 2  # 3 tries, 1st
    assert f"boxscoretraditionalv3 skipped for game {game_ids[0]}" in caplog.text


def test_half_failed_odds_fetch_is_partial_and_never_replaces_the_complete_one(
        api: FakeApi, store, materialize) -> None:
    """Issue 16: a later live fetch landing 1 of 2 events replaced the complete fetch."""
    ids = _odds_routes(api)
    day = date(2024, 2, 22)
    source = live_source(api.base_url)
    first, instance = materialize(source, day, "landing/odds_player_points",
                                  "nba_raw/player_prop_lines")
    _lines_parsed_without_schedule(first)
    full = materialization_metadata(instance, "nba_raw/player_prop_lines")["lines"]
    time.sleep(1.1)  # fetch times have one-second resolution
    _odds_routes(api, failing=ids[1])
    second, _ = materialize(source, day, "landing/odds_player_points")
    assert not second.success
    fetches = sorted({LandedKey.parse(k).fetched_at
                      for k in keys(store, "odds_api/event_odds_player_points/")})
    assert len(fetches) == 2
    manifest = json.loads(store.read_bytes(
        f"odds_api/event_odds_player_points/{day}/{fetches[1]}/_manifest.json"))
    assert manifest["complete"] is False and manifest["payloads"] == 1
    assert manifest["expected"] == 2 and manifest["reason"].startswith("FetchFailed in run ")
    assert ODDS_KEY not in json.dumps(manifest)
    third, _ = materialize(source, day, "nba_raw/player_prop_lines")
    _lines_parsed_without_schedule(third)
    meta = materialization_metadata(instance, "nba_raw/player_prop_lines")
    assert meta["lines"] == full > 100
    assert any(f"{day}/{fetches[1]}/: partial fetch (1 payload(s) landed" in p
               for p in meta["partial_fetches"])


def test_hostile_event_id_over_http_stays_in_its_own_path_and_file(
        api: FakeApi, store, materialize) -> None:
    """Issue 16: an id with `../` named another source's file, and a path on the API host."""
    real = "f54c4a22568ce9dc33fb410d1b0e75e9"
    hostile = "../../../../nba_com/leaguegamelog/2024-02-22/20990101T000000Z/leaguegamelog"
    body = sample_json(f"oddsapi_event_odds/event_odds_player_points_{real}.json")
    body["id"] = hostile
    event = {k: body[k] for k in ("id", "sport_key", "commence_time", "home_team", "away_team")}
    api.route(EVENTS, [ok([event])])
    api.route(f"{EVENTS}/{quote(hostile, safe='')}/odds", [ok(body)])
    result, instance = materialize(live_source(api.base_url), date(2024, 2, 22),
                                   "landing/odds_player_points", "nba_raw/player_prop_lines")
    _lines_parsed_without_schedule(result)
    assert not any(k.startswith("nba_com/") for k in store.list_keys())
    (landed,) = keys(store, "odds_api/event_odds_player_points/")
    assert LandedKey.parse(landed).name.startswith("nba_com_leaguegamelog_2024-02-22_")
    assert materialization_metadata(instance, "nba_raw/player_prop_lines")["lines"] > 50
