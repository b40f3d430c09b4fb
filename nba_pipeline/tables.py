"""The one registry of the asset graph: every table (and file set) the pipeline writes.

Each entry says where the asset's code lives (`group` = its `defs/<group>/` folder), how it is
stored (`sql/<dataset>.sql` DDL for warehouse tables, files in the landing store otherwise),
which of its inputs must exist for the same game date before automation may build it, and the
freshness deadline it answers to. Assets, checks, automation, schedules, the landing sensor,
freshness and `health` read these entries; a table's name is spelled here and nowhere else.

Plain Python (no Dagster): `nba_pipeline.lib` turns entries into asset keys and policies.
"""

from __future__ import annotations

from dataclasses import dataclass

WAREHOUSE = "warehouse"  # a table with DDL in sql/<dataset>.sql, written by the IO manager
FILES = "files"  # files in the landing store (payloads, published JSON), keyed by date


@dataclass(frozen=True)
class Table:
    """One asset of the graph, named `dataset.table` as in the warehouse and sql/."""

    name: str
    group: str
    stored_as: str = WAREHOUSE
    same_day_inputs: tuple[str, ...] = ()
    # Same-day assets it serves without reading them (the model follows the feature rows).
    follows: tuple[str, ...] = ()
    deadline: str | None = None  # a lib/freshness.py deadline: "predictions", "box_scores", ...
    pre_tip_refresh: bool = False  # also rebuilt before tip-off each day (automation)

    @property
    def dataset(self) -> str:
        return self.name.split(".")[0]

    @property
    def table(self) -> str:
        return self.name.split(".")[1]

    @property
    def path(self) -> list[str]:
        """The asset key's path: ["nba_raw", "player_boxscores"]."""
        return self.name.split(".")

    @property
    def user_string(self) -> str:
        """The key as the UI and `health` print it: "nba_raw/player_boxscores"."""
        return "/".join(self.path)

    @property
    def ddl_file(self) -> str | None:
        return f"sql/{self.dataset}.sql" if self.stored_as == WAREHOUSE else None

    @property
    def module(self) -> str:
        """The module holding its asset (and, next to it, `checks.py`)."""
        return f"nba_pipeline.defs.{self.group}.assets"


# Phase 1: payloads landed as fetched (schedules scrape them; the landing sensor reacts).
LANDING_SCHEDULE = Table("landing.nba_schedule", "landing", FILES)
LANDING_BOXSCORES = Table("landing.nba_boxscores", "landing", FILES)
LANDING_LINES = Table("landing.odds_player_points", "landing", FILES)
LANDING_GAME_LINES = Table("landing.odds_game_lines", "landing", FILES)
LANDING_INJURIES = Table("landing.nba_injury_report", "landing", FILES)
# Phase 2: parsed rows (the landing sensor requests them).
SCHEDULE = Table("nba_raw.schedule", "raw")
BOXSCORES = Table("nba_raw.player_boxscores", "raw", deadline="box_scores")
PROP_LINES = Table("nba_raw.player_prop_lines", "raw")
GAME_LINES = Table("nba_raw.game_lines", "raw")
INJURY_REPORT = Table("nba_raw.injury_report", "raw")
# Phase 3..6: built by declarative automation once their same-day inputs exist.
PGS = Table("nba_analytics.player_game_summary", "analytics",
            same_day_inputs=(BOXSCORES.name,))
TEAM_OFFENSE = Table("nba_analytics.team_offense_game_summary", "analytics",
                     same_day_inputs=(PGS.name,))
TEAM_DEFENSE = Table("nba_analytics.team_defense_game_summary", "analytics",
                     same_day_inputs=(TEAM_OFFENSE.name,))
CONTEXT = Table("nba_analytics.upcoming_player_game_context", "analytics",
                same_day_inputs=(SCHEDULE.name,))
# Also reads the day's game lines, deliberately not gating: a day without lines (live may lack
# them) gets NaN line features, and the lines' arrival rebuilds the day.
FEATURES = Table("nba_precompute.ml_feature_store_v2", "precompute",
                 same_day_inputs=(CONTEXT.name,))
POINTS_MODEL = Table("nba_predictions.points_model", "predictions",
                     same_day_inputs=(FEATURES.name,), follows=(FEATURES.name,))
# Also reads the day's lines, schedule and injury report, not gating: a report that lands
# later rebuilds the day (its Out players get PASS).
PREDICTIONS = Table("nba_predictions.player_prop_predictions", "predictions",
                    same_day_inputs=(FEATURES.name, POINTS_MODEL.name),
                    deadline="predictions", pre_tip_refresh=True)
# Every line player-game without a prediction from every system, with the reason; rebuilt
# once the box scores arrive (it reads player_game_summary to say who played).
PREDICTION_GAPS = Table("nba_predictions.prediction_gaps", "predictions",
                        same_day_inputs=(PREDICTIONS.name,))
ACCURACY = Table("nba_predictions.prediction_accuracy", "grading",
                 same_day_inputs=(PREDICTIONS.name, PGS.name), deadline="grading")
DAILY_PERFORMANCE = Table("nba_predictions.system_daily_performance", "grading",
                          same_day_inputs=(ACCURACY.name,), deadline="grading")
PUBLISHED = Table("nba_publish.daily_predictions_json", "publishing", FILES,
                  same_day_inputs=(PREDICTIONS.name,), deadline="predictions")

TABLES: dict[str, Table] = {t.name: t for t in (
    LANDING_SCHEDULE, LANDING_BOXSCORES, LANDING_LINES, LANDING_GAME_LINES, LANDING_INJURIES,
    SCHEDULE, BOXSCORES, PROP_LINES, GAME_LINES, INJURY_REPORT,
    PGS, TEAM_OFFENSE, TEAM_DEFENSE, CONTEXT, FEATURES, POINTS_MODEL, PREDICTIONS,
    PREDICTION_GAPS, ACCURACY, DAILY_PERFORMANCE, PUBLISHED)}
RAW_TABLES = (SCHEDULE, BOXSCORES, PROP_LINES, GAME_LINES, INJURY_REPORT)
GROUPS = ("landing", "raw", "analytics", "precompute", "predictions", "grading", "publishing")


def table(name: str) -> Table:
    """The entry for `dataset.table` or `dataset/table`; a clear error for an unknown name."""
    entry = TABLES.get(name.replace("/", "."))
    if entry is None:
        raise KeyError(f"{name!r} is not a table of the pipeline (known: {sorted(TABLES)})")
    return entry


def warehouse_tables() -> list[Table]:
    return [t for t in TABLES.values() if t.stored_as == WAREHOUSE]


def automated() -> list[Table]:
    """The tables declarative automation builds (everything with same-day inputs)."""
    return [t for t in TABLES.values() if t.same_day_inputs]
