-- Phase 5: model registry rows, predictions per system, and grading.

CREATE TABLE IF NOT EXISTS `{project}.nba_predictions.points_model` (
  game_date DATE NOT NULL,
  model_version STRING NOT NULL,
  feature_version STRING NOT NULL,
  trained_through DATE NOT NULL,
  train_rows INT64 NOT NULL,
  validation_rows INT64 NOT NULL,
  validation_mae FLOAT64,
  artifact_key STRING NOT NULL,
  ensemble_line_weight FLOAT64 NOT NULL,
  ensemble_baseline_weight FLOAT64 NOT NULL,
  blend_line_rows INT64 NOT NULL,
  blend_source STRING NOT NULL
)
PARTITION BY game_date
CLUSTER BY model_version
OPTIONS (description = "Which model artifact serves each game date, with its training window, validation error and the ensemble weights learned from graded history before its week.");

CREATE TABLE IF NOT EXISTS `{project}.nba_predictions.player_prop_predictions` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_abbr STRING NOT NULL,
  system_id STRING NOT NULL,
  predicted_points FLOAT64 NOT NULL,
  line_value FLOAT64,
  edge FLOAT64,
  recommendation STRING NOT NULL,
  confidence FLOAT64 NOT NULL,
  model_version STRING NOT NULL,
  feature_version STRING NOT NULL,
  cold_start STRING,
  history_games INT64 NOT NULL,
  created_at TIMESTAMP NOT NULL,
  is_active BOOL NOT NULL,
  -- P(points > line) from the week's out-of-sample residual distribution (ml/probabilities.py).
  p_over FLOAT64,
  -- The books' mean no-vig P(over) at the consensus line; NULL when no book quotes that line.
  market_p_over FLOAT64,
  -- Best American prices at the consensus line across books.
  over_price FLOAT64,
  under_price FLOAT64,
  -- Expected profit per unit of the better side at its best price; the recommendation is that
  -- side when ev >= MIN_EV.
  ev FLOAT64,
  -- Why a PASS row is one: no line, no book price, ev below MIN_EV, or the player was reported
  -- Out before tip-off (the report's time); NULL on OVER/UNDER.
  pass_reason STRING
)
PARTITION BY game_date
CLUSTER BY player_lookup, system_id, game_date
OPTIONS (description = "One active prediction per player, game and prediction system.");

CREATE TABLE IF NOT EXISTS `{project}.nba_predictions.prediction_accuracy` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  player_lookup STRING NOT NULL,
  system_id STRING NOT NULL,
  predicted_points FLOAT64 NOT NULL,
  line_value FLOAT64,
  recommendation STRING NOT NULL,
  actual_points INT64 NOT NULL,
  absolute_error FLOAT64 NOT NULL,
  signed_error FLOAT64 NOT NULL,
  actual_over_under STRING,
  is_hit BOOL,
  cold_start STRING,
  history_games INT64,
  p_over FLOAT64,
  market_p_over FLOAT64,
  ev FLOAT64,
  -- American price of the recommended side (the bet taken) and its profit per unit staked
  -- (a push returns the stake: 0); NULL for PASS.
  bet_price FLOAT64,
  profit FLOAT64,
  -- The prediction's reason for a PASS (no line, no price, ev below MIN_EV, reported Out).
  pass_reason STRING
)
PARTITION BY game_date
CLUSTER BY system_id, player_lookup
OPTIONS (
  description = "Each active prediction graded against the box score.",
  -- Expiry counts from the partition's date, not its load time: it must exceed the age of the
  -- oldest game date (2021-10-19) or a backfill of early seasons is dropped on arrival.
  partition_expiration_days = 3650
);

CREATE TABLE IF NOT EXISTS `{project}.nba_predictions.system_daily_performance` (
  game_date DATE NOT NULL,
  system_id STRING NOT NULL,
  predictions INT64 NOT NULL,
  mae FLOAT64,
  bias FLOAT64,
  picks INT64 NOT NULL,
  hits INT64 NOT NULL,
  hit_rate FLOAT64,
  pass_count INT64 NOT NULL,
  -- Probability scores of p_over and of the market's no-vig p_over on the same rows (a line, a
  -- market price, not a push): n, Brier score, log loss.
  prob_rows INT64,
  brier FLOAT64,
  log_loss FLOAT64,
  market_brier FLOAT64,
  market_log_loss FLOAT64,
  -- Bets (OVER/UNDER picks graded at the price taken) and their profit per unit staked.
  bets INT64,
  profit FLOAT64,
  roi FLOAT64
)
PARTITION BY game_date
CLUSTER BY system_id
OPTIONS (description = "Per system and game date: MAE, bias and hit rate on OVER/UNDER picks.");

CREATE TABLE IF NOT EXISTS `{project}.nba_predictions.prediction_gaps` (
  game_date DATE NOT NULL,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  event_id STRING,
  home_team_abbr STRING,
  away_team_abbr STRING,
  points_line FLOAT64,
  line_books INT64,
  cold_start STRING,
  missing_systems STRING NOT NULL,
  box_score_lookup STRING,
  played BOOL,
  reason STRING NOT NULL,
  detail STRING,
  created_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY reason, player_lookup
OPTIONS (description = "Each player-game with a consensus points line that lacks a prediction from some system, and why (played: NULL until the box scores exist).");
