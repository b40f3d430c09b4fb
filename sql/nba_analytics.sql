-- Phase 3: one clean row per player per game, and team summaries.

CREATE TABLE IF NOT EXISTS `{project}.nba_analytics.player_game_summary` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  season STRING NOT NULL,
  player_lookup STRING NOT NULL,
  player_id INT64 NOT NULL,
  player_name STRING NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_abbr STRING NOT NULL,
  is_home BOOL NOT NULL,
  minutes FLOAT64,
  points INT64 NOT NULL,
  fgm INT64,
  fga INT64,
  fg3m INT64,
  fg3a INT64,
  ftm INT64,
  fta INT64,
  oreb INT64,
  dreb INT64,
  reb INT64,
  ast INT64,
  stl INT64,
  blk INT64,
  tov INT64,
  fg_pct FLOAT64,
  fg3_pct FLOAT64,
  ft_pct FLOAT64,
  usage_rate FLOAT64,
  true_shooting_pct FLOAT64,
  effective_fg_pct FLOAT64,
  rest_days INT64,
  is_back_to_back BOOL,
  starter_flag BOOL,
  points_line FLOAT64,
  line_books INT64,
  over_under_result STRING
)
PARTITION BY game_date
CLUSTER BY player_lookup, team_abbr, game_date
OPTIONS (description = "One row per player per game: box score, rates, rest, and the consensus points line.");

CREATE TABLE IF NOT EXISTS `{project}.nba_analytics.team_offense_game_summary` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_abbr STRING NOT NULL,
  is_home BOOL NOT NULL,
  points INT64 NOT NULL,
  fgm INT64,
  fga INT64,
  fg3m INT64,
  fg3a INT64,
  ftm INT64,
  fta INT64,
  oreb INT64,
  dreb INT64,
  ast INT64,
  tov INT64,
  players_used INT64,
  possessions FLOAT64,
  pace FLOAT64,
  offensive_rating FLOAT64,
  true_shooting_pct FLOAT64
)
PARTITION BY game_date
CLUSTER BY team_abbr, game_date
OPTIONS (description = "One row per team per game: offensive totals, possessions, pace, offensive rating.");

CREATE TABLE IF NOT EXISTS `{project}.nba_analytics.team_defense_game_summary` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_abbr STRING NOT NULL,
  points_allowed INT64 NOT NULL,
  opp_fgm INT64,
  opp_fga INT64,
  opp_fg3m INT64,
  opp_fg3a INT64,
  opp_fta INT64,
  opp_tov INT64,
  opp_reb INT64,
  possessions FLOAT64,
  pace FLOAT64,
  defensive_rating FLOAT64
)
PARTITION BY game_date
CLUSTER BY team_abbr, game_date
OPTIONS (description = "One row per team per game: what the opponent did against it.");

CREATE TABLE IF NOT EXISTS `{project}.nba_analytics.upcoming_player_game_context` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  player_lookup STRING NOT NULL,
  player_id INT64,
  player_name STRING NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_abbr STRING NOT NULL,
  is_home BOOL NOT NULL,
  tipoff_utc TIMESTAMP,
  has_line BOOL NOT NULL,
  points_line FLOAT64,
  line_books INT64,
  last_game_date DATE,
  days_since_last_game INT64,
  cold_start STRING,
  team_source STRING
)
PARTITION BY game_date
CLUSTER BY player_lookup, game_id
OPTIONS (description = "Players expected in a date's games (schedule + recent rosters + lines), known before tip-off.");
