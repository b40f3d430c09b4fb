"""Phase 2: landed payloads parsed into typed rows, re-readable from the landing store alone."""

from collections.abc import Iterator
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, Failure

from nba_pipeline.defs.raw.checks import (
    BOXSCORE_CHECKS,
    GAME_LINE_CHECKS,
    INJURY_CHECKS,
    PROP_LINE_CHECKS,
    SCHEDULE_CHECKS,
)
from nba_pipeline.domain import injuries
from nba_pipeline.domain.game_lines import consensus_lines
from nba_pipeline.domain.matchups import orient_to_schedule
from nba_pipeline.ingest.endpoints import (
    dropped_counts,
    endpoints_for,
    parse_landed,
    schedule_source_games,
)
from nba_pipeline.ingest.parsers.common import SOURCE_GAME_COLUMNS, stack_rows
from nba_pipeline.ingest.parsers.nba_com import DROPPED_GAME_TYPES, type_label
from nba_pipeline.ingest.payloads import PayloadError
from nba_pipeline.lib.landed_inputs import chosen_fetches, parsed_inputs
from nba_pipeline.lib.warehouse_asset import (
    checked_output,
    history,
    partition_dates,
    same_day,
    table_frame,
    table_key,
    warehouse_asset,
    window_label,
)
from nba_pipeline.storage.landing import LandingStore
from nba_pipeline.tables import (
    BOXSCORES,
    GAME_LINES,
    INJURY_REPORT,
    LANDING_BOXSCORES,
    LANDING_GAME_LINES,
    LANDING_INJURIES,
    LANDING_LINES,
    LANDING_SCHEDULE,
    PROP_LINES,
    SCHEDULE,
    Table,
)


def parse_window(context: AssetExecutionContext, store: LandingStore, table: Table
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Parse the chosen landed fetch of each date; fail naming every bad day, write nothing.

    The fetches are those of the endpoints feeding `table` (`ingest.endpoints.endpoints_for`).

    Returns the rows as parsed (each asset conforms them once, through `table_frame`, so the
    schema check sees them as produced) and what was passed over (`landing_skipped`: stray,
    nested, linked or future-dated entries; `partial_fetches`), for the materialization's
    metadata: never fatal.
    """
    frames: list[pd.DataFrame] = []
    errors: list[PayloadError] = []
    files = 0
    dropped: dict[str, int] = {}
    chosen, skipped, partial = chosen_fetches(store, endpoints_for(table),
                                             partition_dates(context))
    for game_date, fetch in sorted(chosen.items()):
        for key in fetch.keys:
            files += 1
            body = store.read_bytes(key)
            try:
                frames.append(parse_landed(fetch.source, fetch.endpoint, body, game_date, key))
            except PayloadError as exc:
                errors.append(exc)
                continue
            for why, n in dropped_counts(fetch.source, fetch.endpoint, body, game_date).items():
                dropped[why] = dropped.get(why, 0) + n
    if errors:
        raise Failure(
            description=f"{len(errors)} landed payload(s) for {table.name} could not be parsed; "
            f"first: {errors[0]}",
            metadata={"errors": [str(e) for e in errors[:50]],
                      "bad_days": sorted({e.game_date.isoformat() for e in errors})},
        )
    report = {"landing_skipped": [f"{k}: {v}" for k, v in sorted(skipped.items())][:50],
              "partial_fetches": partial[:50],
              "parsed_inputs": parsed_inputs(store, chosen)}
    if dropped:  # game types left out on purpose, counted, with the reason (docs/sources.md)
        report["game_types_dropped"] = dict(sorted(dropped.items()))
        report["game_types_dropped_reason"] = {
            type_label(t): why for t, why in DROPPED_GAME_TYPES.items()}
    for line in report["landing_skipped"][:10] + report["partial_fetches"][:10]:
        context.log.warning(f"{table.name}: {line}")
    context.log.info(f"parsed {files} landed file(s) for {table.name} ({window_label(context)})")
    return stack_rows(frames), report


def schedule_source(context: AssetExecutionContext, store: LandingStore) -> pd.DataFrame:
    """Every game the window's landed schedule payloads list (the same fetches the schedule
    parsed), read independently of the parser for `games_complete_vs_schedule`."""
    chosen, _, _ = chosen_fetches(store, endpoints_for(SCHEDULE), partition_dates(context))
    frames = [
        schedule_source_games(fetch.source, fetch.endpoint, store.read_bytes(key), game_date, key)
        for game_date, fetch in sorted(chosen.items())
        for key in fetch.keys
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=SOURCE_GAME_COLUMNS)
    return pd.concat(frames, ignore_index=True).drop_duplicates("game_id")


@warehouse_asset(SCHEDULE, deps=[LANDING_SCHEDULE],
                 checks=SCHEDULE_CHECKS)
def schedule(context: AssetExecutionContext, landing_store: LandingStore) -> Iterator:
    parsed, report = parse_window(context, landing_store, SCHEDULE)
    frame = table_frame(parsed, SCHEDULE)
    yield from checked_output(context, SCHEDULE, SCHEDULE_CHECKS, frame,
                              {"games": len(frame), **report})


@warehouse_asset(BOXSCORES, deps=[LANDING_BOXSCORES], ins=same_day(schedule=SCHEDULE),
                 checks=BOXSCORE_CHECKS)
def player_boxscores(context: AssetExecutionContext, landing_store: LandingStore,
                     schedule: pd.DataFrame) -> Iterator:
    parsed, report = parse_window(context, landing_store, BOXSCORES)
    # Home/away are the schedule's per game id (neutral sites: nba.com writes `AWAY @ HOME` on
    # both rows); the landed payload keeps nba.com's own MATCHUP text.
    oriented, reoriented = orient_to_schedule(parsed, schedule)
    frame = table_frame(oriented, BOXSCORES)
    metadata = {"player_games": len(frame), "games": int(frame["game_id"].nunique()),
                "matchups_from_schedule": reoriented, **report}
    yield from checked_output(
        context, BOXSCORES, BOXSCORE_CHECKS, frame, metadata,
        {"schedule": schedule, "schedule_source": schedule_source(context, landing_store)})


# The schedule is read only by `lines_match_schedule`: the lines are the evidence that a date
# has games, so a schedule day lost upstream fails here (the landing sensor requests this
# partition whenever lines land, even when no schedule payload ever did).
@warehouse_asset(PROP_LINES, deps=[LANDING_LINES], ins=same_day(schedule=SCHEDULE),
                 checks=PROP_LINE_CHECKS)
def player_prop_lines(context: AssetExecutionContext, landing_store: LandingStore,
                      schedule: pd.DataFrame) -> Iterator:
    parsed, report = parse_window(context, landing_store, PROP_LINES)
    frame = table_frame(parsed, PROP_LINES)
    yield from checked_output(context, PROP_LINES, PROP_LINE_CHECKS, frame, {"lines": len(frame),
                                  "players": int(frame["player_lookup"].nunique()), **report},
                              {"schedule": schedule})


# One consensus line per scheduled game; events matching no game are reported, not dropped.
@warehouse_asset(GAME_LINES, deps=[LANDING_GAME_LINES], ins=same_day(schedule=SCHEDULE),
                 checks=GAME_LINE_CHECKS)
def game_lines(context: AssetExecutionContext, landing_store: LandingStore,
               schedule: pd.DataFrame) -> Iterator:
    parsed, report = parse_window(context, landing_store, GAME_LINES)
    lines, fell_out = consensus_lines(parsed, schedule)
    frame = table_frame(lines, GAME_LINES)
    yield from checked_output(context, GAME_LINES, GAME_LINE_CHECKS, frame, {
        "games": len(frame), "book_rows": len(parsed), "events_fell_out": len(fell_out),
        **report}, {"schedule": schedule, "fell_out": fell_out})


# Names are matched to nba.com ids among the players of a year of box scores before the date.
PLAYER_ID_LOOKBACK_DAYS = 365


@warehouse_asset(INJURY_REPORT, deps=[LANDING_INJURIES], ins={
    "schedule": AssetIn(table_key(SCHEDULE)),
    "player_boxscores": history(BOXSCORES, PLAYER_ID_LOOKBACK_DAYS),
}, checks=INJURY_CHECKS)
def injury_report(context: AssetExecutionContext, landing_store: LandingStore,
                  schedule: pd.DataFrame, player_boxscores: pd.DataFrame) -> Iterator:
    parsed, report = parse_window(context, landing_store, INJURY_REPORT)
    kept, not_playing = injuries.teams_playing(parsed, schedule)
    players = player_boxscores[["game_date", "player_id", "player_lookup", "team_abbr"]] if len(
        player_boxscores) else pd.DataFrame(columns=["game_date", "player_id", "player_lookup",
                                                     "team_abbr"])
    frame = table_frame(injuries.with_player_ids(kept, players), INJURY_REPORT)
    chosen, _, _ = chosen_fetches(landing_store, endpoints_for(INJURY_REPORT),
                                  partition_dates(context))
    no_report = [d.isoformat() for d in partition_dates(context) if d not in chosen]
    if no_report:
        context.log.info(f"{INJURY_REPORT.name}: no report recorded for {len(no_report)} "
                         f"date(s): {no_report[:10]}")
    yield from checked_output(context, INJURY_REPORT, INJURY_CHECKS, frame, {
        "players": len(frame), "no_report_recorded": no_report[:50],
        "rows_teams_not_playing": len(not_playing), **report},
        {"no_report": pd.DataFrame({"game_date": no_report})})


raw_assets = [schedule, player_boxscores, player_prop_lines, game_lines, injury_report]
