"""Grading the probabilities and the bets: Brier, log loss, calibration, ROI, paired intervals.

Plain pandas/numpy over graded rows (`systems.grade` output with the probability columns).
Intervals are the normal approximation of a mean over player-games (z = 1.96): for a gap it is
the paired mean of per-row differences, so both sides are scored on the same rows. Player-games
of one day or one player are not independent, so the intervals are somewhat narrow; the rows are
many (thousands) and each a separate game, which is why no bootstrap is used here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nba_pipeline.ml.probabilities import P_FLOOR, american_to_decimal

Z95 = 1.959964
DECILES = np.linspace(0.0, 1.0, 11)


def mean_ci(values: np.ndarray | pd.Series) -> dict:
    """n, mean and its 95% normal-approximation interval (None without two rows)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return {"n": 0, "mean": None, "ci95": None}
    mean = float(v.mean())
    if n < 2:
        return {"n": n, "mean": round(mean, 4), "ci95": None}
    half = Z95 * float(v.std(ddof=1)) / math.sqrt(n)
    return {"n": n, "mean": round(mean, 4), "ci95": [round(mean - half, 4), round(mean + half, 4)]}


def add_bets(graded: pd.DataFrame) -> pd.DataFrame:
    """`bet_price` (the recommended side's best price, the one taken) and `profit` per unit.

    A push returns the stake (profit 0); PASS rows and rows without a price have neither.
    """
    out = graded.copy()
    rec = out["recommendation"].to_numpy()
    over_p = out["over_price"].to_numpy(dtype=float) if "over_price" in out else np.full(
        len(out), np.nan)
    under_p = out["under_price"].to_numpy(dtype=float) if "under_price" in out else np.full(
        len(out), np.nan)
    price = np.where(rec == "OVER", over_p, np.where(rec == "UNDER", under_p, np.nan))
    side = out["actual_over_under"].to_numpy(dtype=object)
    won = ((rec == "OVER") & (side == "OVER")) | ((rec == "UNDER") & (side == "UNDER"))
    push = side == "PUSH"
    profit = np.where(won, american_to_decimal(price) - 1.0, np.where(push, 0.0, -1.0))
    out["bet_price"] = price
    out["profit"] = np.where(np.isfinite(price) & pd.notna(side), np.round(profit, 4), np.nan)
    return out


def outcome_over(graded: pd.DataFrame) -> np.ndarray:
    """1.0 when the actual went over the line, 0.0 under, NaN for a push or no line."""
    side = graded["actual_over_under"].to_numpy(dtype=object)
    return np.where(side == "OVER", 1.0, np.where(side == "UNDER", 0.0, np.nan))


def _losses(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.clip(np.asarray(p, dtype=float), P_FLOOR / 10, 1 - P_FLOOR / 10)
    return (p - y) ** 2, -(y * np.log(p) + (1 - y) * np.log(1 - p))


def probability_rows(graded: pd.DataFrame) -> pd.DataFrame:
    """The rows both probabilities are scored on: p_over, market_p_over and no push."""
    y = outcome_over(graded)
    ok = (np.isfinite(y) & graded["p_over"].notna().to_numpy()
          & graded["market_p_over"].notna().to_numpy())
    return graded[ok].assign(_y=y[ok])


def probability_scores(graded: pd.DataFrame) -> dict:
    """Brier and log loss of p_over and of the market on the same rows, and the paired gaps."""
    rows = probability_rows(graded)
    y = rows["_y"].to_numpy(dtype=float)
    b, ll = _losses(rows["p_over"].to_numpy(dtype=float), y)
    mb, mll = _losses(rows["market_p_over"].to_numpy(dtype=float), y)
    return {"rows": len(rows), "brier": mean_ci(b), "log_loss": mean_ci(ll),
            "market_brier": mean_ci(mb), "market_log_loss": mean_ci(mll),
            "brier_gap": mean_ci(b - mb), "log_loss_gap": mean_ci(ll - mll)}


def roi(graded: pd.DataFrame) -> dict:
    """Bets at the prices taken: n, total profit, ROI per unit with its 95% interval, hit rate."""
    profit = graded["profit"].to_numpy(dtype=float) if "profit" in graded else np.array([])
    profit = profit[np.isfinite(profit)]
    stats = mean_ci(profit)
    return {"bets": stats["n"], "profit": round(float(profit.sum()), 3), "roi": stats["mean"],
            "roi_ci95": stats["ci95"],
            "won": int((profit > 0).sum()), "pushed": int((profit == 0).sum())}


def calibration_table(p: np.ndarray | pd.Series, y: np.ndarray | pd.Series) -> list[dict]:
    """Fixed-width deciles of the probability: n, mean predicted, observed over rate (Wilson)."""
    from nba_pipeline.ml.evaluation import wilson_interval

    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(p) & np.isfinite(y)
    p, y = p[ok], y[ok]
    bins = np.clip(np.digitize(p, DECILES[1:-1], right=False), 0, 9)
    out = []
    for b in range(10):
        sel = bins == b
        n = int(sel.sum())
        hits = int(y[sel].sum())
        out.append({"bin": f"{DECILES[b]:.1f}-{DECILES[b + 1]:.1f}", "n": n,
                    "mean_p": round(float(p[sel].mean()), 4) if n else None,
                    "observed": round(hits / n, 4) if n else None,
                    "observed_ci95": wilson_interval(hits, n)})
    return out


def daily_probability(graded: pd.DataFrame) -> pd.DataFrame:
    """Per date and system: probability-scored rows, Brier and log loss (model, market), bets,
    profit and ROI at the prices taken."""
    cols = ["game_date", "system_id", "prob_rows", "brier", "log_loss", "market_brier",
            "market_log_loss", "bets", "profit", "roi"]
    if graded.empty:
        return pd.DataFrame(columns=cols)
    y = outcome_over(graded)
    ok = (np.isfinite(y) & graded["p_over"].notna().to_numpy()
          & graded["market_p_over"].notna().to_numpy())
    b, ll = _losses(graded["p_over"].fillna(0.5).to_numpy(dtype=float), np.nan_to_num(y))
    mb, mll = _losses(graded["market_p_over"].fillna(0.5).to_numpy(dtype=float),
                      np.nan_to_num(y))
    profit = graded["profit"].to_numpy(dtype=float)
    frame = graded[["game_date", "system_id"]].assign(
        _ok=ok, _b=np.where(ok, b, np.nan), _ll=np.where(ok, ll, np.nan),
        _mb=np.where(ok, mb, np.nan), _mll=np.where(ok, mll, np.nan),
        _bet=np.isfinite(profit), _profit=profit)
    out = frame.groupby(["game_date", "system_id"], as_index=False).agg(
        prob_rows=("_ok", "sum"), brier=("_b", "mean"), log_loss=("_ll", "mean"),
        market_brier=("_mb", "mean"), market_log_loss=("_mll", "mean"), bets=("_bet", "sum"),
        profit=("_profit", "sum"))
    out["roi"] = np.where(out["bets"] > 0, out["profit"] / out["bets"].clip(lower=1), np.nan)
    return out[cols]
