"""P(over), the market's no-vig probability and expected value per unit stake: plain numpy.

Why an empirical residual distribution rather than a normal one: points are right-skewed and the
L1 model predicts the median (biased low by ~0.7 points on the mean), so a normal centred on the
prediction says P(over) = 0.5 exactly where the outcome goes over less often, and its tails are
wrong for bench players (bounded at 0) and stars alike. Instead, each week's `points_model` fit
keeps every system's **out-of-sample** residuals (actual - predicted) on its time-ordered
validation window, which lies wholly before the training cutoff (no leakage), grouped by role
(the system's predicted points: the spread grows with the scoring role). P(actual > line) is then
the share of that role's residuals above line - prediction, with a continuity correction for the
integer outcome. Rows with a line are used when there are enough of them (the population that is
priced), else every validation row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nba_pipeline.domain.analytics import eastern_game_date, resolve_line_names

if TYPE_CHECKING:
    from nba_pipeline.ml.model import ModelInfo

# Role buckets on the system's predicted points: [0, 8), [8, 14), [14, 20), [20, inf).
ROLE_EDGES: tuple[float, ...] = (8.0, 14.0, 20.0)
# A bucket with fewer validation residuals borrows the system's pooled distribution.
MIN_BUCKET_ROWS = 150
# Validation rows with a line are used alone when at least this many exist.
MIN_LINE_ROWS = 500
# Stored quantiles per bucket (0%, 0.5%, ..., 100%).
QUANTILE_GRID = np.linspace(0.0, 1.0, 201)
# A few hundred residuals per bucket cannot support probabilities nearer 0 or 1 than this, and
# an exact 0 or 1 would make one miss cost an infinite log loss.
P_FLOOR = 0.01
# Recommend a side only when its expected profit per unit is at least MIN_EV. Fixed a priori, not
# tuned on any graded span: at -110 an error of 0.026 in p_over moves EV by 0.05, about the
# calibration error we can resolve with a few thousand graded rows; below it, PASS.
MIN_EV = 0.05


def american_to_decimal(american: np.ndarray | pd.Series) -> np.ndarray:
    """American odds -> decimal odds (the return per unit stake, stake included)."""
    a = np.asarray(american, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, 1.0 + a / 100.0, 1.0 + 100.0 / -a)


def implied(american: np.ndarray | pd.Series) -> np.ndarray:
    """American odds -> the book's implied probability (margin included)."""
    return 1.0 / american_to_decimal(american)


@dataclass(frozen=True)
class Calibration:
    """Per system, quantiles of out-of-sample residuals (actual - predicted) per role bucket."""

    edges: tuple[float, ...] = ROLE_EDGES
    quantiles: Mapping[str, list[list[float]]] = field(default_factory=dict)
    rows: Mapping[str, list[int]] = field(default_factory=dict)
    source: Mapping[str, str] = field(default_factory=dict)  # "line_rows" or "all_rows"
    # Per system [a, b, n]: P(over) = sigmoid(a + b * logit(residual P(over))), fitted on the
    # validation rows with a line (n of them); absent with fewer than MIN_LINE_ROWS.
    platt: Mapping[str, list[float]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"edges": list(self.edges), "quantiles": self.quantiles,
                           "rows": self.rows, "source": self.source, "platt": self.platt},
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        data = json.loads(text)
        return cls(tuple(data["edges"]), data["quantiles"], data["rows"], data["source"],
                   data.get("platt", {}))


def role_bucket(predicted: np.ndarray, edges: tuple[float, ...] = ROLE_EDGES) -> np.ndarray:
    return np.searchsorted(np.asarray(edges), np.asarray(predicted, dtype=float), side="right")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, P_FLOOR, 1 - P_FLOOR)
    return np.log(p / (1 - p))


def fit_platt(p_raw: np.ndarray, y: np.ndarray, iterations: int = 30) -> tuple[float, float]:
    """Logistic regression of the outcome on logit(p_raw) (Newton steps, a tiny ridge).

    Why: the residual distribution is unconditional, but a prediction far from the line is
    usually wrong in the line's direction (the line is the better predictor), so the raw
    probabilities are too confident; b < 1 measures and undoes that on rows before the cutoff.
    The slope is kept in [0, 1.5] (b < 0 would invert the model's side).
    """
    x = np.column_stack([np.ones(len(p_raw)), _logit(np.asarray(p_raw, dtype=float))])
    w = np.array([0.0, 1.0])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (y - p) - 1e-3 * w * np.array([0.0, 1.0])
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-3 * np.eye(2)
        w = w + np.linalg.solve(hess, grad)
    return float(w[0]), float(np.clip(w[1], 0.0, 1.5))


def fit_calibration(predicted: Mapping[str, np.ndarray], actual: np.ndarray,
                    has_line: np.ndarray, line: np.ndarray | None = None) -> Calibration:
    """Residual quantiles per system and role bucket from validation rows (all before the cutoff).

    `predicted` maps each system to its predictions on the validation rows, `actual` the points
    scored, `has_line` which rows had a points line.
    """
    actual = np.asarray(actual, dtype=float)
    has_line = np.asarray(has_line, dtype=bool)
    use_lines = has_line.sum() >= MIN_LINE_ROWS
    keep = has_line if use_lines else np.ones(len(actual), dtype=bool)
    quantiles, rows, source = {}, {}, {}
    for system_id, pred in predicted.items():
        pred = np.asarray(pred, dtype=float)
        ok = keep & np.isfinite(pred) & np.isfinite(actual)
        resid, bucket = actual[ok] - pred[ok], role_bucket(pred[ok])
        if not len(resid):
            continue
        pooled = np.quantile(resid, QUANTILE_GRID)
        qs, ns = [], []
        for b in range(len(ROLE_EDGES) + 1):
            part = resid[bucket == b]
            ns.append(int(len(part)))
            q = np.quantile(part, QUANTILE_GRID) if len(part) >= MIN_BUCKET_ROWS else pooled
            qs.append([round(float(v), 3) for v in q])
        quantiles[system_id], rows[system_id] = qs, ns
        source[system_id] = "line_rows" if use_lines else "all_rows"
    calibration = Calibration(ROLE_EDGES, quantiles, rows, source)
    if line is None or not use_lines:
        return calibration
    line = np.asarray(line, dtype=float)
    platt = {}
    for system_id, pred in predicted.items():
        pred = np.asarray(pred, dtype=float)
        ok = has_line & np.isfinite(pred) & (actual != line)
        if system_id not in quantiles or ok.sum() < MIN_LINE_ROWS:
            continue
        raw, _ = over_under(pred[ok], line[ok], system_id, calibration, 0.0, platt=False)
        a, b = fit_platt(raw, (actual[ok] > line[ok]).astype(float))
        platt[system_id] = [round(a, 4), round(b, 4), int(ok.sum())]
    return Calibration(ROLE_EDGES, quantiles, rows, source, platt)


def _cdf(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Empirical CDF from a quantile grid (linear between grid points, 0/1 outside)."""
    q = np.maximum.accumulate(q) + np.arange(len(q)) * 1e-9  # strictly increasing for interp
    return np.interp(x, q, QUANTILE_GRID, left=0.0, right=1.0)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def over_under(predicted: np.ndarray, line: np.ndarray, system_id: str,
               calibration: Calibration | None, sigma: float, platt: bool = True
               ) -> tuple[np.ndarray, np.ndarray]:
    """P(actual > line) and P(actual < line); a whole-number line leaves P(push) between them.

    Points are integers: over a 22.5 line means X >= 23, approximated by the continuous
    prediction + residual exceeding 22.5; a 22 line is over above 22.5 and under below 21.5.
    Without a calibration for the system (an artifact from before it existed), a normal with the
    model's validation residual spread.
    """
    predicted, line = np.asarray(predicted, dtype=float), np.asarray(line, dtype=float)
    over_at = np.floor(line) + 0.5 - predicted
    under_at = np.ceil(line) - 0.5 - predicted
    p_over, p_under = np.full(len(line), np.nan), np.full(len(line), np.nan)
    has = np.isfinite(line) & np.isfinite(predicted)
    if not has.any():
        return p_over, p_under
    table = calibration.quantiles.get(system_id) if calibration else None
    if table:
        bucket = role_bucket(predicted, calibration.edges)
        for b, q in enumerate(table):
            rows = has & (bucket == b)
            if rows.any():
                qa = np.asarray(q, dtype=float)
                p_over[rows] = 1.0 - _cdf(over_at[rows], qa)
                p_under[rows] = _cdf(under_at[rows], qa)
    else:
        s = max(float(sigma), 1e-6)
        p_over[has] = 1.0 - _normal_cdf(over_at[has] / s)
        p_under[has] = _normal_cdf(under_at[has] / s)
    scale = calibration.platt.get(system_id) if (calibration and platt) else None
    if scale:
        push = np.clip(1.0 - p_over - p_under, 0.0, 1.0)
        p_over = np.where(has, 1.0 / (1.0 + np.exp(-(scale[0] + scale[1] * _logit(p_over)))),
                          np.nan)
        p_under = np.clip(1.0 - p_over - push, 0.0, 1.0)
    p_over = np.where(has, np.clip(p_over, P_FLOOR, 1 - P_FLOOR), np.nan)
    p_under = np.where(has, np.clip(np.minimum(p_under, 1 - p_over), 0.0, 1 - P_FLOOR), np.nan)
    return p_over, p_under


MARKET_COLUMNS = ["game_date", "player_lookup", "market_p_over", "over_price", "under_price",
                  "market_books"]


def market_prices(lines: pd.DataFrame, players: pd.DataFrame) -> pd.DataFrame:
    """Per player-game at his consensus line: the books' mean no-vig P(over) and the best prices.

    `lines` are raw `nba_raw.player_prop_lines` rows (American prices), `players` the feature
    rows (`game_date`, `player_lookup`, `player_name`, `team_abbr`, `points_line`): the lines'
    spellings are resolved to them as the context resolved them, and only a book's quote at
    exactly the consensus line counts (an alternate rung at another line is another bet). No-vig
    is the multiplicative one: over / (over + under) implied, per book, then the mean. A
    consensus that no book quotes (the median of 21.5 and 22.5) has no market and no price.
    """
    if lines.empty or players.empty:
        return pd.DataFrame(columns=MARKET_COLUMNS)
    cands = players[["game_date", "team_abbr", "player_lookup", "player_name"]].assign(
        game_date=pd.to_datetime(players["game_date"]).astype("datetime64[ns]"),
        player_lookup=players["player_lookup"].astype(str))
    resolved, _ = resolve_line_names(lines, cands, set(cands["player_lookup"]),
                                     cands["game_date"].unique())
    quotes = resolved.dropna(subset=["over_price", "under_price", "line_value"]).assign(
        game_date=lambda f: eastern_game_date(f).to_numpy(),
        player_lookup=lambda f: f["player_lookup"].astype(str))
    want = players[["game_date", "player_lookup", "points_line"]].assign(
        game_date=pd.to_datetime(players["game_date"]).astype("datetime64[ns]"),
        player_lookup=players["player_lookup"].astype(str)).dropna(
        subset=["points_line"]).drop_duplicates(["game_date", "player_lookup"])
    at = quotes.merge(want, on=["game_date", "player_lookup"], how="inner")
    at = at[np.isclose(at["line_value"].astype(float), at["points_line"].astype(float))]
    if at.empty:
        return pd.DataFrame(columns=MARKET_COLUMNS)
    io, iu = implied(at["over_price"]), implied(at["under_price"])
    at = at.assign(_nv=io / (io + iu), _do=american_to_decimal(at["over_price"]),
                   _du=american_to_decimal(at["under_price"]))
    # One quote per book (a book listed twice at the same line: its latest-sorted first row).
    at = at.drop_duplicates(["game_date", "player_lookup", "bookmaker"])
    g = at.groupby(["game_date", "player_lookup"])
    out = g.agg(market_p_over=("_nv", "mean"), market_books=("bookmaker", "nunique"))
    out["over_price"] = at.loc[g["_do"].idxmax(), ["game_date", "player_lookup", "over_price"]
                               ].set_index(["game_date", "player_lookup"])["over_price"]
    out["under_price"] = at.loc[g["_du"].idxmax(), ["game_date", "player_lookup", "under_price"]
                                ].set_index(["game_date", "player_lookup"])["under_price"]
    return out.reset_index()[MARKET_COLUMNS]


def expected_value(p_win: np.ndarray, p_lose: np.ndarray, american: np.ndarray) -> np.ndarray:
    """Expected profit per unit staked at `american` odds (a push returns the stake)."""
    return np.asarray(p_win, dtype=float) * (american_to_decimal(american) - 1.0) - np.asarray(
        p_lose, dtype=float)


def price_rows(rows: pd.DataFrame, market: pd.DataFrame, calibration: Calibration | None,
               sigma: float, min_ev: float = MIN_EV) -> pd.DataFrame:
    """Add p_over, market_p_over, the best prices and ev to prediction rows; recommend from EV.

    `rows` are `systems.predict_systems` output (predicted_points, line_value, system_id).
    `ev` is the better side's expected profit per unit at its best price; the recommendation is
    that side when ev >= `min_ev`, else PASS (also without a line or a price). `confidence` is
    the probability the recommended side wins (P(over) vs P(under) for PASS rows with a line).
    """
    out = rows.copy()
    keys = ["game_date", "player_lookup"]
    m = market.assign(game_date=pd.to_datetime(market["game_date"]).astype("datetime64[ns]"),
                      player_lookup=market["player_lookup"].astype(str))
    joined = out[keys].assign(game_date=pd.to_datetime(out["game_date"]).astype(
        "datetime64[ns]"), player_lookup=out["player_lookup"].astype(str)).merge(
        m, on=keys, how="left")
    p_over = np.full(len(out), np.nan)
    p_under = np.full(len(out), np.nan)
    system = out["system_id"].to_numpy()
    for system_id in pd.unique(system):
        sel = system == system_id
        p_over[sel], p_under[sel] = over_under(
            out["predicted_points"].to_numpy(dtype=float)[sel],
            out["line_value"].to_numpy(dtype=float)[sel], str(system_id), calibration, sigma)
    over_price = joined["over_price"].to_numpy(dtype=float)
    under_price = joined["under_price"].to_numpy(dtype=float)
    ev_over = expected_value(p_over, p_under, over_price)
    ev_under = expected_value(p_under, p_over, under_price)
    priced = np.isfinite(ev_over) & np.isfinite(ev_under)
    best_over = ev_over >= ev_under
    ev = np.where(priced, np.where(best_over, ev_over, ev_under), np.nan)
    rec = np.where(priced & (ev >= min_ev), np.where(best_over, "OVER", "UNDER"), "PASS")
    win = np.where(rec == "UNDER", p_under, np.where(rec == "OVER", p_over,
                                                     np.maximum(p_over, p_under)))
    out["p_over"] = np.round(p_over, 4)
    out["market_p_over"] = np.round(joined["market_p_over"].to_numpy(dtype=float), 4)
    out["over_price"] = over_price
    out["under_price"] = under_price
    out["ev"] = np.round(ev, 4)
    out["recommendation"] = rec
    out["confidence"] = np.round(np.clip(np.nan_to_num(win, nan=0.5), 0.0, 1.0), 4)
    out["pass_reason"] = pass_reasons(rec, out["line_value"].to_numpy(dtype=float), priced, ev,
                                      min_ev)
    return out


def pass_reasons(rec: np.ndarray, line: np.ndarray, priced: np.ndarray, ev: np.ndarray,
                 min_ev: float) -> np.ndarray:
    """Why each PASS row is one (None on OVER/UNDER): no line, no price, or too little value."""
    reasons = np.full(len(rec), None, dtype=object)
    for i in np.flatnonzero(rec == "PASS"):
        if not np.isfinite(line[i]):
            reasons[i] = "no line"
        elif not priced[i]:
            reasons[i] = "no book price at the consensus line"
        else:
            reasons[i] = f"ev {ev[i]:+.3f} below {min_ev:.2f}"
    return reasons


def pass_kinds(rows: pd.DataFrame) -> dict[str, int]:
    """PASS rows counted by kind of reason (the report time and the ev value left out)."""
    if rows.empty:
        return {}
    reasons = rows.loc[rows["recommendation"] == "PASS", "pass_reason"].astype("string")
    kinds = reasons.str.replace(r" \(.*\)$", "", regex=True).str.replace(
        r"^ev .*", f"ev below {MIN_EV:.2f}", regex=True)
    return {str(k): int(v) for k, v in kinds.value_counts().items()}


def pass_reported_out(rows: pd.DataFrame, out_players: pd.DataFrame) -> pd.DataFrame:
    """PASS for every row of a player reported Out before tip-off, the report named in
    `pass_reason`: no side is priced on a player who is not expected to play.

    `out_players` is `domain.injuries.reported_out` (game_date, team_abbr, player_lookup,
    report_time_utc). `ev` and `p_over` stay as computed, so grading still sees what the model
    thought; only the recommendation changes.
    """
    if out_players.empty or rows.empty:
        return rows
    keys = ["game_date", "team_abbr", "player_lookup"]
    found = rows[keys].assign(game_date=pd.to_datetime(rows["game_date"]).astype(
        "datetime64[ns]")).merge(out_players.assign(game_date=pd.to_datetime(
            out_players["game_date"]).astype("datetime64[ns]")), on=keys, how="left")
    when = pd.to_datetime(found["report_time_utc"], utc=True)
    hit = when.notna().to_numpy()
    if not hit.any():
        return rows
    out = rows.copy()
    reasons = out["pass_reason"].to_numpy(dtype=object).copy()
    reasons[hit] = [f"reported Out (injury report {t:%Y-%m-%d %H:%M} UTC)" for t in when[hit]]
    out["pass_reason"] = reasons
    out["recommendation"] = np.where(hit, "PASS", out["recommendation"].to_numpy())
    return out


def calibrate(validation: pd.DataFrame, info: ModelInfo) -> Calibration:
    """The week's calibration from `model.train_with_validation`'s validation rows.

    Every system predicts those rows exactly as it predicts a game day (`predict_systems`, fed
    the early-stopped model's out-of-sample `lgbm_pred`, the ensemble with the weights serving
    `info`'s week), so each system gets its own residuals.
    """
    from nba_pipeline.ml import blending, systems  # neither imports this module; kept local

    if validation.empty:
        return Calibration()
    val = validation.reset_index(drop=True)
    line_weight, baseline_weight, _ = blending.serving_weights(info)
    rows = systems.predict_systems(val, val["lgbm_pred"].to_numpy(dtype=float),
                                   info.model_version, info.residual_std, "",
                                   pd.Timestamp.now(tz="UTC"), line_weight, baseline_weight)
    n = len(val)
    predicted = {str(s): part["predicted_points"].to_numpy(dtype=float)[:n]
                 for s, part in rows.groupby("system_id", sort=False)}
    return fit_calibration(predicted, val["points"].to_numpy(dtype=float),
                           val["points_line"].notna().to_numpy(),
                           val["points_line"].to_numpy(dtype=float))
