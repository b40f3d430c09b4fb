"""`python -m bench.cold_starts [--rookies N] [--returners N] [--json]`: cold-start MAE, measured.

The recorded data has no span with points lines, box scores *and* cold starts (lines exist
only for 2024-03-02..05-25, box scores only for regular seasons, and the dev span's line players
all have recent games), so `model-report` finds 0 cold-start rows there. This builds one from
real rows, as the season fixture does (nba_pipeline_tests/season_fixture.py), in a temp folder:

- rookies: line players of the dev span whose games before their first game of the span are
  relabelled to a stand-in (points and team totals unchanged), so that game is a rookie's;
- returners: line players who played for the same team in late 2022-23, whose games in the
  250 days before their first game of the span are relabelled, so that game is a return after 250+
  days.

Each chosen player keeps only the line of that one game (so every other scored row is as in the
unmodified replay). Then `model-report`'s default path runs on the folder (history from
2021-10-19, every asset over the span) and prints its `cold_start` breakdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pandas as pd

from nba_pipeline.commands import demo, model_report
from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.sources import recorded

STANDIN_ID = 1_800_000
RETURN_GAP_DAYS = 250


def build(root: Path, rookies: int, returners: int) -> dict[str, list[str]]:
    """The rewritten data folder under `root`; the chosen players (lookup) per kind."""
    shared = recorded.data_dir()
    box = pd.concat([pd.read_csv(f, dtype={"GAME_ID": str}) for f in
                     sorted((shared / "box_scores").glob("player_logs_*.csv.gz"))],
                    ignore_index=True)
    (lines_file,) = sorted((shared / "prop_lines").glob("oddsapi_props_player_points_*.csv.gz"))
    lines = pd.read_csv(lines_file, dtype={"event_id": str})
    when = pd.to_datetime(lines["commence_time"], utc=True).dt.tz_convert("America/New_York")
    lines["day"] = when.dt.date
    lines["lookup"] = player_lookup_series(lines["player"])
    box["day"] = pd.to_datetime(box["GAME_DATE"]).dt.date
    box["lookup"] = player_lookup_series(box["PLAYER_NAME"])
    start, end = model_report.SPAN_START, model_report.SPAN_END
    span = box[(box["day"] >= start) & (box["day"] <= end)]
    # His first game of the span, priced under his own spelling: the cold-start game. (A first
    # game later than a line spelled otherwise, "K. Caldwell-Pope", would make that line a
    # rookie's that the matcher cannot place: a gap, not a cold start; see docs/model.md.)
    first = span.sort_values("day").drop_duplicates("PLAYER_ID").merge(
        lines[["day", "lookup"]].drop_duplicates(), on=["day", "lookup"])
    old = box[(box["day"] >= pd.Timestamp("2023-03-01").date())
              & (box["day"] <= pd.Timestamp("2023-04-09").date())]
    old_team = old.sort_values("day").drop_duplicates("PLAYER_ID", keep="last").set_index(
        "PLAYER_ID")["TEAM_ABBREVIATION"]
    back = first[first["PLAYER_ID"].map(old_team) == first["TEAM_ABBREVIATION"]]
    back = back.sort_values("PLAYER_ID").iloc[::max(1, len(back) // max(returners, 1))]
    back = back.head(returners)
    rest = first[~first["PLAYER_ID"].isin(back["PLAYER_ID"])].sort_values("PLAYER_ID")
    new = rest.iloc[::max(1, len(rest) // max(rookies, 1))].head(rookies)
    chosen: dict[str, list[str]] = {"rookie": [], "returning": []}
    for n, (kind, row) in enumerate([*(("returning", r) for r in back.itertuples()),
                                     *(("rookie", r) for r in new.itertuples())]):
        hide = (box["PLAYER_ID"] == row.PLAYER_ID) & (box["day"] < row.day)
        if kind == "returning":
            hide &= box["day"] >= row.day - timedelta(days=RETURN_GAP_DAYS)
        box.loc[hide, "PLAYER_ID"] = STANDIN_ID + n
        box.loc[hide, "PLAYER_NAME"] = f"Standin {n:03d} Ablation"
        # Only the cold-start game's line is kept for him.
        lines = lines[(lines["lookup"] != row.lookup) | (lines["day"] == row.day)]
        chosen[kind].append(f"{row.lookup} {row.day}")
    for folder in ("box_scores", "prop_lines"):
        (root / folder).mkdir(parents=True)
    (root / "team_game_logs").symlink_to(shared / "team_game_logs")
    for season, part in box.groupby("SEASON_LABEL"):
        part.drop(columns=["day", "lookup"]).to_csv(
            root / "box_scores" / f"player_logs_{season}.csv.gz", index=False)
    lines.drop(columns=["day", "lookup"]).to_csv(root / "prop_lines" / lines_file.name,
                                                     index=False)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_starts",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rookies", type=int, default=40)
    parser.add_argument("--returners", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the data folder and home in DIR and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nba-cold-starts-") as scratch:
        tmp = str(args.keep) if args.keep else scratch
        chosen = build(Path(tmp) / "data", args.rookies, args.returners)
        start, end = model_report.SPAN_START, model_report.SPAN_END
        history = model_report.history_for(start, demo.HISTORY)
        home = Path(tmp) / "home"
        try:
            report = model_report.materialize_and_report(home, history, start, end,
                                                         Path(tmp) / "data")
        except SystemExit as exc:
            # The span run can stop on `prediction_coverage` (a range-run name-resolution gap,
            # docs/model.md): the predictions, features and box scores are written by then.
            sys.stderr.write(f"cold-starts: {exc}; reading what the run wrote\n")
            report = model_report.read_report(home, start, end)
    out = {"span": [start.isoformat(), end.isoformat()], "chosen": chosen,
           "rows": report["rows"], "mae": report["mae"], "cold_start": report["cold_start"]}
    sys.stdout.write((json.dumps(out, indent=2) if args.json
                      else "\n".join(model_report._cold_start_lines(report["cold_start"])))
                     + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
