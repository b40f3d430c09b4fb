-- Phase 4: point-in-time features, one row per player per game date (feature version v2).
-- Every feature for game date D is computed from games strictly before D; `source_max_game_date`
-- records the latest source game used so the point-in-time check can prove it.

CREATE TABLE IF NOT EXISTS `{project}.nba_precompute.ml_feature_store_v2` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  player_lookup STRING NOT NULL,
  player_id INT64,
  player_name STRING NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_abbr STRING NOT NULL,
  feature_version STRING NOT NULL,
  feature_count INT64 NOT NULL,
  completeness FLOAT64 NOT NULL,
  source_max_game_date DATE,
  pts_avg_last3 FLOAT64,
  pts_avg_last5 FLOAT64,
  pts_avg_last10 FLOAT64,
  pts_avg_season FLOAT64,
  pts_std_last10 FLOAT64,
  pts_max_last10 FLOAT64,
  pts_trend_5v_season FLOAT64,
  min_avg_last5 FLOAT64,
  min_avg_last10 FLOAT64,
  min_avg_season FLOAT64,
  min_trend_5v_season FLOAT64,
  usage_avg_last10 FLOAT64,
  usage_avg_season FLOAT64,
  fga_avg_last5 FLOAT64,
  fga_avg_last10 FLOAT64,
  fta_avg_last10 FLOAT64,
  fg3a_avg_last10 FLOAT64,
  ts_pct_last10 FLOAT64,
  pts_per_min_season FLOAT64,
  games_played_season FLOAT64,
  days_since_last_game FLOAT64,
  is_back_to_back FLOAT64,
  is_home FLOAT64,
  opp_def_rating_last15 FLOAT64,
  opp_pace_last15 FLOAT64,
  opp_pts_allowed_last15 FLOAT64,
  team_pace_last15 FLOAT64,
  team_off_rating_last15 FLOAT64,
  pts_avg_prev_season FLOAT64,
  points_line FLOAT64,
  line_minus_avg10 FLOAT64,
  created_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY player_lookup, game_date
OPTIONS (description = "Point-in-time feature rows for every expected player of a game date.");
