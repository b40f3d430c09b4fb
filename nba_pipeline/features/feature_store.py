"""Point-in-time features for `ml_feature_store_v2`: one vectorized pass over any range of dates.

For game date D every statistic comes from games strictly before D. Player (and team) games are
sorted once into numpy arrays with prefix sums; each feature row finds its player's last game
before D with one `searchsorted`, then reads windows (last 3/5/10/20, season, previous season)
as prefix-sum differences or a few gathers. No loop or query per player or per date. Each row
records the latest source game date it used (`source_max_game_date`) so a check can prove it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nba_pipeline.domain.injuries import pre_game_statuses

# v2.3: the rotation_absent_* features read the pre-game injury report where one covers the
# team's date (its Out players), the previous-game proxy elsewhere.
FEATURE_VERSION = "v2.3"
FEATURES: tuple[str, ...] = (
    "pts_avg_last3", "pts_avg_last5", "pts_avg_last10", "pts_avg_last20", "pts_avg_season",
    "pts_ewm_h5", "pts_std_last10", "pts_max_last10", "pts_last_game", "pts_trend_5v_season",
    "min_avg_last5", "min_avg_last10", "min_avg_season", "min_last_game", "min_trend_5v_season",
    "usage_avg_last10", "usage_avg_season", "fga_avg_last5", "fga_avg_last10", "fta_avg_last10",
    "fg3a_avg_last10", "ts_pct_last10", "pts_per_min_last10", "pts_per_min_season",
    "games_played_season", "days_since_last_game", "is_back_to_back", "is_home",
    "opp_def_rating_last15", "opp_pace_last15", "opp_pts_allowed_last15", "team_pace_last15",
    "team_off_rating_last15", "pts_avg_prev_season", "points_line", "line_minus_avg10",
    "line_minus_season",
    # v2.2 (issue 17): how the game is expected to go and who is missing, all pre-game.
    "implied_team_points", "expected_margin", "pts_share_last10", "share_implied_points",
    "rotation_absent_count", "rotation_absent_pts", "rotation_absent_min",
    "games_missed_before", "min_trend_3v10",
)
# Legitimately missing for many players (no line, rookies, a day without game lines: live may
# lack them); completeness ignores them.
OPTIONAL_FEATURES = ("points_line", "line_minus_avg10", "line_minus_season",
                     "pts_avg_prev_season", "implied_team_points", "expected_margin",
                     "share_implied_points")
REQUIRED_FEATURES = tuple(f for f in FEATURES if f not in OPTIONAL_FEATURES)
TEAM_WINDOW = 15
# Only games in these many days before D count: the asset loads exactly this window, so one day's
# run and a range pass over all history (model-report) compute the same values. 550 days hold the
# whole previous regular season for every regular-season date; 250 days reach across an
# off-season, so a team's first games still see its last 15 games of the season before.
PLAYER_HISTORY_DAYS = 550
TEAM_HISTORY_DAYS = 250
EWM_HALFLIFE = 5
EWM_GAMES = 30  # the exponentially weighted mean looks at the last 30 games (weight 1.6% at 30)
# A team's rotation: players who appeared in at least ROTATION_MIN_GAMES of its last
# ROTATION_GAMES games (those within ROTATION_DAYS of its latest one) averaging at least
# ROTATION_MIN_MINUTES when they played. Without starters or DNP rows in leaguegamelog, "absent"
# means "a rotation player with no row in the team's previous game" (injury, rest, a trade).
ROTATION_GAMES = 5
ROTATION_MIN_GAMES = 3
ROTATION_MIN_MINUTES = 15.0
ROTATION_DAYS = 30
_STATS = ("points", "minutes", "fga", "fta", "fg3a", "usage_rate")
# Columns the player pass computes (all NaN for a player without earlier games).
PLAYER_FEATURES = (
    "pts_avg_last3", "pts_avg_last5", "pts_avg_last10", "pts_avg_last20", "pts_avg_season",
    "pts_ewm_h5", "pts_std_last10", "pts_max_last10", "pts_last_game", "min_avg_last5",
    "min_avg_last10", "min_avg_season", "min_last_game", "usage_avg_last10", "usage_avg_season",
    "fga_avg_last5", "fga_avg_last10", "fta_avg_last10", "fg3a_avg_last10", "ts_pct_last10",
    "pts_per_min_last10", "pts_per_min_season", "games_played_season", "pts_avg_prev_season",
    "pts_share_last10", "_min_avg_last3",
)


def season_start_year(dates: pd.Series) -> np.ndarray:
    """The NBA season of each date as its first calendar year (2023 for 2023-24; seasons turn
    over in August)."""
    days = _days(dates).astype("datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.where(month >= 8, year, year - 1).astype(int)


def _values(frame: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(frame[col]).to_numpy(dtype=float, na_value=np.nan)


def _days(dates: pd.Series) -> np.ndarray:
    """Dates as day numbers (int64), without a per-element Python loop."""
    if not pd.api.types.is_datetime64_dtype(dates):
        dates = pd.to_datetime(dates)
    return dates.to_numpy().astype("datetime64[ns]").astype("datetime64[D]").astype(np.int64)


class GameLog:
    """Games of many keys (players or teams) sorted by (key, date) once, as numpy arrays.

    Every statistic is a window over one key's games ending at its last game strictly before a
    date, read from prefix sums (`cum[i + 1] - cum[lo]`) or a few gathers. One pass serves any
    number of (key, date) queries: no loop or query per player or per date.
    """

    def __init__(self, keys: pd.Series, dates: pd.Series, values: dict[str, np.ndarray]):
        codes, self.uniques = pd.factorize(keys.astype(str))
        days = _days(dates)
        order = np.lexsort((days, codes))
        self.codes, self.days = codes[order], days[order]
        self.values = {k: v[order] for k, v in values.items()}
        self._cum: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def last_before(self, keys: pd.Series, dates: pd.Series,
                    window_days: int) -> tuple[np.ndarray, np.ndarray]:
        """For each (key, date): the index of the key's last game strictly before the date (-1
        when none) and the index of its first game in the `window_days` before the date."""
        code = self.uniques.get_indexer(keys.astype(str)).astype(np.int64)
        day = _days(dates)
        composite = self.codes.astype(np.int64) * 1_000_000 + self.days
        idx = np.searchsorted(composite, code * 1_000_000 + day, "left") - 1
        floor = np.searchsorted(composite, code * 1_000_000 + day - window_days, "left")
        ok = (code >= 0) & (idx >= floor)
        return np.where(ok, idx, -1), np.where(ok, floor, 0)

    def _prefix(self, col: str) -> tuple[np.ndarray, np.ndarray]:
        if col not in self._cum:
            x = self.values[col]
            present = ~np.isnan(x)
            self._cum[col] = (np.r_[0.0, np.cumsum(np.where(present, x, 0.0))],
                              np.r_[0.0, np.cumsum(present)])
        return self._cum[col]

    def window(self, col: str, idx: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, ...]:
        """(sum, count of non-null) of `col` over rows lo..idx (inclusive); idx -1 = none."""
        total, count = self._prefix(col)
        ok = idx >= 0
        hi = np.where(ok, idx + 1, 0)
        lo = np.where(ok, lo, 0)
        return total[hi] - total[lo], count[hi] - count[lo]

    @staticmethod
    def last_n(idx: np.ndarray, floor: np.ndarray, n: int) -> np.ndarray:
        """First row of the last-`n` window ending at idx, never before `floor`."""
        return np.maximum(idx - n + 1, floor)

    def mean(self, col: str, idx: np.ndarray, lo: np.ndarray) -> np.ndarray:
        total, count = self.window(col, idx, lo)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)

    def gather(self, col: str, idx: np.ndarray, floor: np.ndarray, n: int) -> np.ndarray:
        """The last `n` values ending at idx as a (rows, n) matrix, NaN before `floor`."""
        lags = idx[:, None] - np.arange(n)[None, :]
        valid = (idx[:, None] >= 0) & (lags >= floor[:, None])
        return np.where(valid, self.values[col][np.clip(lags, 0, None)], np.nan)


def _player_features(rows: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Player features for every row from the player's games strictly before the row's date."""
    values = {c: _values(history, c) for c in _STATS}
    values["season"] = season_start_year(history["game_date"]).astype(float)
    # The team's score in each of the player's games (the players' points sum to it).
    values["team_points"] = history.groupby(["game_id", "team_abbr"])["points"].transform(
        "sum").to_numpy(dtype=float)
    log = GameLog(history["player_lookup"], history["game_date"], values)
    # Season blocks: a new block starts at each key's first game and at each season change.
    s = log.values["season"]
    n = len(s)
    first = np.r_[True, (log.codes[1:] != log.codes[:-1]) | (s[1:] != s[:-1])] if n else s > 0
    season_start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else first

    idx, floor = log.last_before(rows["player_lookup"], rows["game_date"], PLAYER_HISTORY_DAYS)
    has = idx >= 0
    safe = np.maximum(idx, 0)
    row_season = season_start_year(rows["game_date"])
    in_season = has & (s[safe] == row_season)
    s_lo = np.maximum(season_start[safe], floor)
    out: dict[str, np.ndarray] = {}
    for w in (3, 5, 10, 20):
        out[f"pts_avg_last{w}"] = log.mean("points", idx, log.last_n(idx, floor, w))
    for w in (5, 10):
        out[f"min_avg_last{w}"] = log.mean("minutes", idx, log.last_n(idx, floor, w))
        out[f"fga_avg_last{w}"] = log.mean("fga", idx, log.last_n(idx, floor, w))
    lo10 = log.last_n(idx, floor, 10)
    out["usage_avg_last10"] = log.mean("usage_rate", idx, lo10)
    out["fta_avg_last10"] = log.mean("fta", idx, lo10)
    out["fg3a_avg_last10"] = log.mean("fg3a", idx, lo10)
    pts10, _ = log.window("points", idx, lo10)
    fga10, _ = log.window("fga", idx, lo10)
    fta10, _ = log.window("fta", idx, lo10)
    min10, _ = log.window("minutes", idx, lo10)
    team10, _ = log.window("team_points", idx, lo10)
    out["_min_avg_last3"] = log.mean("minutes", idx, log.last_n(idx, floor, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        shots = 2.0 * (fga10 + 0.44 * fta10)
        out["ts_pct_last10"] = np.where(has & (shots > 0), pts10 / shots, np.nan)
        out["pts_per_min_last10"] = np.where(has & (min10 > 0), pts10 / min10, np.nan)
        out["pts_share_last10"] = np.where(has & (team10 > 0), pts10 / team10, np.nan)
    last10 = log.gather("points", idx, floor, 10)
    counts = (~np.isnan(last10)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = last10 - np.nanmean(np.where(counts[:, None] > 0, last10, 0.0), axis=1)[:, None]
        var = np.nansum(centred ** 2, axis=1) / np.where(counts > 1, counts - 1, 1)
    out["pts_std_last10"] = np.where(counts > 1, np.sqrt(var), np.nan)
    out["pts_max_last10"] = np.where(counts > 0, np.nanmax(np.where(
        np.isnan(last10), -np.inf, last10), axis=1), np.nan)
    recent = log.gather("points", idx, floor, EWM_GAMES)
    weights = 0.5 ** (np.arange(EWM_GAMES) / EWM_HALFLIFE)
    w = np.where(np.isnan(recent), 0.0, weights[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pts_ewm_h5"] = np.where(has, np.nansum(np.nan_to_num(recent) * w, axis=1)
                                     / w.sum(axis=1), np.nan)
    out["pts_last_game"] = np.where(has, log.values["points"][safe], np.nan)
    out["min_last_game"] = np.where(has, log.values["minutes"][safe], np.nan)

    season_idx = np.where(in_season, idx, -1)
    out["pts_avg_season"] = log.mean("points", season_idx, s_lo)
    out["min_avg_season"] = log.mean("minutes", season_idx, s_lo)
    out["usage_avg_season"] = log.mean("usage_rate", season_idx, s_lo)
    pts_s, games_s = log.window("points", season_idx, s_lo)
    min_s, _ = log.window("minutes", season_idx, s_lo)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pts_per_min_season"] = np.where(in_season & (min_s > 0), pts_s / min_s, np.nan)
    out["games_played_season"] = np.where(in_season, games_s, 0.0)

    # The previous season: the block just before this season's, or the last block itself when
    # the date opens a new season.
    prev_end = np.where(in_season, s_lo - 1, idx)
    prev_ok = has & (prev_end >= floor)
    pe = np.maximum(prev_end, 0)
    prev_ok &= s[pe] == row_season - 1
    out["pts_avg_prev_season"] = log.mean("points", np.where(prev_ok, pe, -1),
                                          np.maximum(season_start[pe], floor))
    out["last_game_date"] = np.where(has, log.days[safe], np.iinfo(np.int64).min)
    # How much history the row stands on (0 = a rookie or a player gone PLAYER_HISTORY_DAYS):
    # grading reports cold starts apart by it.
    out["history_games"] = np.where(has, idx - floor + 1, 0)
    return pd.DataFrame(out, index=rows.index)


def _team_features(rows: pd.DataFrame, offense: pd.DataFrame,
                   defense: pd.DataFrame) -> pd.DataFrame:
    """Own team's pace/offense and the opponent's defense over their last TEAM_WINDOW games."""
    out: dict[str, np.ndarray] = {}
    for frame, key, spec, date_col in (
        (offense, "team_abbr", {"pace": "team_pace_last15",
                                "offensive_rating": "team_off_rating_last15"}, "_team_day"),
        (defense, "opponent_abbr", {"defensive_rating": "opp_def_rating_last15",
                                    "pace": "opp_pace_last15",
                                    "points_allowed": "opp_pts_allowed_last15"}, "_opp_day"),
    ):
        if frame.empty:
            for name in spec.values():
                out[name] = np.full(len(rows), np.nan)
            out[date_col] = np.full(len(rows), np.iinfo(np.int64).min)
            continue
        log = GameLog(frame["team_abbr"], frame["game_date"],
                      {c: _values(frame, c) for c in spec})
        idx, floor = log.last_before(rows[key], rows["game_date"], TEAM_HISTORY_DAYS)
        lo = log.last_n(idx, floor, TEAM_WINDOW)
        for col, name in spec.items():
            out[name] = log.mean(col, idx, lo)
        out[date_col] = np.where(idx >= 0, log.days[np.maximum(idx, 0)], np.iinfo(np.int64).min)
    return pd.DataFrame(out, index=rows.index)


def _team_games(history: pd.DataFrame) -> pd.DataFrame:
    """One row per (team, game) the box scores hold, ordered per team (`ordinal` 0, 1, ...)."""
    team_code, _ = pd.factorize(history["team_abbr"])
    game_code, game_ids = pd.factorize(history["game_id"])
    _, first = np.unique(team_code.astype(np.int64) * max(len(game_ids), 1) + game_code,
                         return_index=True)
    games = (history.iloc[first][["team_abbr", "game_id", "game_date"]]
             .assign(game_date=lambda f: pd.to_datetime(f["game_date"]))
             .sort_values(["team_abbr", "game_date", "game_id"], kind="stable")
             .reset_index(drop=True))
    games["ordinal"] = games.groupby("team_abbr").cumcount()
    return games


def _rotations(history: pd.DataFrame, games: pd.DataFrame,
               needed: pd.DataFrame) -> pd.DataFrame:
    """For each needed team game (`team_abbr`, `k` = its ordinal): the rotation players of the
    team's last ROTATION_GAMES games up to k, with the points and minutes per game they played
    in that window and `in_k` (they have a row in k). Only the needed windows are built."""
    dated = games[["team_abbr", "ordinal", "game_id", "game_date"]]
    k_dates = dated.rename(columns={"ordinal": "k", "game_date": "k_date"})[
        ["team_abbr", "k", "k_date"]]
    windows = pd.concat([needed.assign(ordinal=needed["k"] - offset) for offset in
                         range(ROTATION_GAMES)], ignore_index=True)
    windows = windows.merge(dated, on=["team_abbr", "ordinal"]).merge(
        k_dates, on=["team_abbr", "k"])
    windows = windows[windows["game_date"] >= windows["k_date"]
                      - pd.Timedelta(days=ROTATION_DAYS)]
    played = history[history["game_id"].isin(windows["game_id"].unique())]
    app = windows.merge(played[["team_abbr", "game_id", "player_lookup", "points", "minutes"]],
                        on=["team_abbr", "game_id"])
    app["_in_k"] = app["ordinal"] == app["k"]
    per = app.groupby(["team_abbr", "k", "player_lookup"], sort=False).agg(
        games=("points", "size"), pts=("points", "sum"), mins=("minutes", "sum"),
        in_k=("_in_k", "any")).reset_index()
    per["pts_pg"] = per["pts"] / per["games"]
    per["min_pg"] = per["mins"] / per["games"]
    rotation = (per["games"] >= ROTATION_MIN_GAMES) & (per["min_pg"] >= ROTATION_MIN_MINUTES)
    return per.loc[rotation, ["team_abbr", "k", "player_lookup", "pts_pg", "min_pg", "in_k"]]


def _absent(rotation: pd.DataFrame, keys: pd.DataFrame,
            statuses: pd.DataFrame | None) -> pd.DataFrame:
    """The rotation players absent tonight for each row key (`team_abbr`, `k`, `game_date`).

    Where a pre-game injury report covers the team's date (`statuses`: domain.injuries
    `pre_game_statuses`, any player of that team listed), the absent are the rotation players
    it reports Out. Elsewhere (every backtest date: replay has no history of reports) the proxy:
    the rotation players with no row in the team's previous game.
    """
    cand = keys.merge(rotation, on=["team_abbr", "k"])
    absent = ~cand["in_k"].to_numpy(dtype=bool)
    if statuses is not None and not statuses.empty and len(cand):
        st = statuses.assign(game_date=pd.to_datetime(statuses["game_date"]).astype(
            "datetime64[ns]"))
        covered = pd.MultiIndex.from_frame(st[["game_date", "team_abbr"]].drop_duplicates())
        out = pd.MultiIndex.from_frame(st.loc[st["status"] == "Out", [
            "game_date", "team_abbr", "player_lookup"]])
        is_covered = pd.MultiIndex.from_frame(cand[["game_date", "team_abbr"]]).isin(covered)
        is_out = pd.MultiIndex.from_frame(cand[["game_date", "team_abbr", "player_lookup"]]
                                          ).isin(out)
        absent = np.where(is_covered, is_out, absent)
    return cand[absent]


def _availability_features(rows: pd.DataFrame, history: pd.DataFrame,
                           last_game_day: np.ndarray,
                           statuses: pd.DataFrame | None = None) -> pd.DataFrame:
    """Who is missing: rotation teammates absent tonight (count, points and minutes per game
    they leave; `_absent`: the pre-game injury report where one covers the team, else absent
    from the team's previous game) and the team games the player himself missed since his last
    appearance."""
    n = len(rows)
    out = {c: np.full(n, np.nan) for c in ("rotation_absent_count", "rotation_absent_pts",
                                           "rotation_absent_min", "games_missed_before")}
    out["_rotation_day"] = np.full(n, np.iinfo(np.int64).min)
    if history.empty:
        return pd.DataFrame(out, index=rows.index)
    games = _team_games(history)
    log = GameLog(games["team_abbr"], games["game_date"],
                  {"ordinal": games["ordinal"].to_numpy(dtype=float)})
    # The previous team game k must leave its whole rotation window inside the loaded history.
    idx, floor = log.last_before(rows["team_abbr"], rows["game_date"],
                                 PLAYER_HISTORY_DAYS - ROTATION_DAYS)
    has = idx >= 0
    safe = np.maximum(idx, 0)
    k = np.where(has, log.values["ordinal"][safe], -1).astype(np.int64)
    row_keys = pd.DataFrame({"team_abbr": rows["team_abbr"].to_numpy(), "k": k,
                             "game_date": rows["game_date"].to_numpy()})
    needed = row_keys[has].drop_duplicates()
    rotation = _rotations(history, games, needed[["team_abbr", "k"]].drop_duplicates())
    absent = _absent(rotation, needed, statuses)
    per_team = absent.groupby(["team_abbr", "k", "game_date"]).agg(
        count=("player_lookup", "size"), pts=("pts_pg", "sum"), mins=("min_pg", "sum"))
    keys = pd.MultiIndex.from_frame(row_keys)
    team_vals = per_team.reindex(keys).fillna(0.0).to_numpy()
    # The row's own player is not his own absent teammate.
    own = absent.set_index(["team_abbr", "k", "game_date", "player_lookup"])[
        ["pts_pg", "min_pg"]].reindex(pd.MultiIndex.from_frame(
            row_keys.assign(player_lookup=rows["player_lookup"].to_numpy())))
    is_own = own["pts_pg"].notna().to_numpy()
    own_vals = own.fillna(0.0).to_numpy()
    out["rotation_absent_count"] = np.where(has, team_vals[:, 0] - is_own, np.nan)
    out["rotation_absent_pts"] = np.where(has, team_vals[:, 1] - own_vals[:, 0], np.nan)
    out["rotation_absent_min"] = np.where(has, team_vals[:, 2] - own_vals[:, 1], np.nan)
    out["_rotation_day"] = np.where(has, log.days[safe], np.iinfo(np.int64).min)
    # Team games strictly between his last appearance (any team) and the date.
    played = last_game_day != np.iinfo(np.int64).min
    code = log.uniques.get_indexer(rows["team_abbr"]).astype(np.int64)
    composite = log.codes.astype(np.int64) * 1_000_000 + log.days
    after_last = np.searchsorted(composite, code * 1_000_000 + np.where(played, last_game_day, 0),
                                 "right")
    missed = idx + 1 - after_last
    out["games_missed_before"] = np.where(has & played & (code >= 0),
                                          np.maximum(missed, 0), np.nan)
    return pd.DataFrame(out, index=rows.index)


def _game_line_features(rows: pd.DataFrame, game_lines: pd.DataFrame | None) -> pd.DataFrame:
    """Implied team points and expected margin from the game's closing line (NaN without one).

    `nba_raw.game_lines.home_spread` is the home side's handicap (negative = home favoured), so
    the row's team spread is home_spread at home and -home_spread away; the team's implied
    points are (total - team spread) / 2 and its expected margin is -team spread.
    """
    nan = np.full(len(rows), np.nan)
    if game_lines is None or game_lines.empty:
        return pd.DataFrame({"implied_team_points": nan, "expected_margin": nan},
                            index=rows.index)
    lines = game_lines.assign(
        game_date=pd.to_datetime(game_lines["game_date"]).astype("datetime64[ns]"),
        game_id=game_lines["game_id"].astype(str),
        home_spread=pd.to_numeric(game_lines["home_spread"], errors="coerce"),
        total=pd.to_numeric(game_lines["total"], errors="coerce"),
    ).groupby(["game_date", "game_id"])[["home_spread", "total"]].median()
    found = lines.reindex(pd.MultiIndex.from_arrays([rows["game_date"].to_numpy(),
                                                     rows["game_id"].astype(str).to_numpy()]))
    home = rows["is_home"].astype(float).to_numpy()
    spread = np.where(home == 1.0, 1.0, -1.0) * found["home_spread"].to_numpy(dtype=float)
    total = found["total"].to_numpy(dtype=float)
    return pd.DataFrame({"implied_team_points": (total - spread) / 2.0,
                         "expected_margin": -spread}, index=rows.index)


def build_feature_rows(context: pd.DataFrame, history: pd.DataFrame, offense: pd.DataFrame,
                       defense: pd.DataFrame, created_at: pd.Timestamp,
                       game_lines: pd.DataFrame | None = None,
                       injury_report: pd.DataFrame | None = None) -> pd.DataFrame:
    """Feature rows for every (date, player) in `context`, each from games before its date.

    `history` is player_game_summary, `offense`/`defense` the team summaries; all may include
    dates on or after a context date (a range backfill): each row reads only its keys' last
    games strictly before its own date. `game_lines` (nba_raw.game_lines) is read for the row's
    own game only: a closing line is set before tip-off. `injury_report` (nba_raw.injury_report)
    is read only from reports published before the row's tip-off (domain.injuries).
    """
    if context.empty:
        return pd.DataFrame()
    rows = context.drop(columns=["last_game_date", "days_since_last_game"], errors="ignore")
    rows = rows.assign(game_date=pd.to_datetime(rows["game_date"]).astype("datetime64[ns]"),
                       player_lookup=rows["player_lookup"].astype(str),
                       team_abbr=rows["team_abbr"].astype(str),
                       opponent_abbr=rows["opponent_abbr"].astype(str))
    if len(history):
        players = _player_features(rows, history)
    else:
        players = pd.DataFrame({c: np.nan for c in PLAYER_FEATURES}, index=rows.index).assign(
            games_played_season=0.0, last_game_date=np.iinfo(np.int64).min, history_games=0)
    teams = _team_features(rows, offense, defense)
    statuses = None
    if injury_report is not None and not injury_report.empty:
        tipoffs = rows[["game_date", "team_abbr"]].assign(
            tipoff_utc=rows["tipoff_utc"] if "tipoff_utc" in rows else None)
        statuses = pre_game_statuses(injury_report, tipoffs)
    available = _availability_features(rows, history, players["last_game_date"].to_numpy(),
                                       statuses)
    lines = _game_line_features(rows, game_lines)
    new = pd.concat([players, teams, available, lines], axis=1)
    rows = pd.concat([rows.drop(columns=[c for c in new if c in rows.columns]), new], axis=1)
    source_days = rows[["last_game_date", "_team_day", "_opp_day", "_rotation_day"]
                       ].to_numpy().max(axis=1)
    for col, days in (("last_game_date", rows["last_game_date"].to_numpy()),
                      ("source_max_game_date", source_days)):
        rows[col] = pd.Series(np.where(days == np.iinfo(np.int64).min, np.datetime64("NaT"),
                                       days.astype("datetime64[D]")), index=rows.index).astype(
            "datetime64[ns]")
    rows["days_since_last_game"] = (rows["game_date"] - rows["last_game_date"]).dt.days
    rows["is_back_to_back"] = (rows["days_since_last_game"] == 1).astype(float).where(
        rows["days_since_last_game"].notna())
    rows["is_home"] = rows["is_home"].astype(float)
    rows["pts_trend_5v_season"] = rows["pts_avg_last5"] - rows["pts_avg_season"]
    rows["min_trend_5v_season"] = rows["min_avg_last5"] - rows["min_avg_season"]
    rows["points_line"] = pd.to_numeric(rows["points_line"]).astype(float)
    rows["line_minus_avg10"] = rows["points_line"] - rows["pts_avg_last10"]
    rows["line_minus_season"] = rows["points_line"] - rows["pts_avg_season"]
    rows["min_trend_3v10"] = rows["_min_avg_last3"] - rows["min_avg_last10"]
    rows["share_implied_points"] = rows["pts_share_last10"] * rows["implied_team_points"]
    if "games_played_season" in rows:
        rows["games_played_season"] = rows["games_played_season"].fillna(0.0)
    for f in FEATURES:
        rows[f] = pd.to_numeric(rows[f], errors="coerce").astype(float) if f in rows else np.nan
    rows["feature_version"] = FEATURE_VERSION
    rows["feature_count"] = len(FEATURES)
    rows["completeness"] = rows[list(REQUIRED_FEATURES)].notna().mean(axis=1)
    rows["history_games"] = rows["history_games"].astype("int64")
    for col in ("cold_start", "team_source"):
        if col not in rows:
            rows[col] = None
    rows["created_at"] = created_at
    return rows.drop(columns=[c for c in rows.columns if c.startswith("_")])
