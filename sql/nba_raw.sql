-- Phase 2: payloads parsed into typed rows. One file per dataset; `{project}` is filled in at apply time.
-- These statements are the single source of truth for column names, types and NOT NULL:
-- BigQuery tables are created from them and the DuckDB schema is derived from them.

CREATE TABLE IF NOT EXISTS `{project}.nba_raw.schedule` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  season STRING,
  game_status INT64,
  game_status_text STRING,
  tipoff_utc TIMESTAMP,
  home_team_abbr STRING NOT NULL,
  away_team_abbr STRING NOT NULL,
  home_team_id INT64,
  away_team_id INT64,
  home_score INT64,
  away_score INT64,
  source STRING NOT NULL,
  landing_key STRING NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id
OPTIONS (description = "One row per scheduled game (US/Eastern game date), with final scores once played.");

CREATE TABLE IF NOT EXISTS `{project}.nba_raw.player_boxscores` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  season STRING,
  player_id INT64 NOT NULL,
  player_name STRING NOT NULL,
  player_lookup STRING NOT NULL,
  team_id INT64,
  team_abbr STRING NOT NULL,
  matchup STRING,
  wl STRING,
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
  pf INT64,
  plus_minus FLOAT64,
  source STRING NOT NULL,
  landing_key STRING NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, player_lookup
OPTIONS (description = "One row per player per game as the box-score source reported it.");

CREATE TABLE IF NOT EXISTS `{project}.nba_raw.player_prop_lines` (
  game_date DATE NOT NULL,
  event_id STRING NOT NULL,
  commence_time_utc TIMESTAMP,
  home_team_abbr STRING,
  away_team_abbr STRING,
  bookmaker STRING NOT NULL,
  market STRING NOT NULL,
  player_name STRING NOT NULL,
  player_lookup STRING NOT NULL,
  line_value FLOAT64 NOT NULL,
  over_price FLOAT64,
  under_price FLOAT64,
  last_update_utc TIMESTAMP,
  source STRING NOT NULL,
  landing_key STRING NOT NULL
)
PARTITION BY game_date
CLUSTER BY player_lookup, bookmaker
OPTIONS (description = "Player-points lines per book (alternate lines included), game date in US/Eastern.");

CREATE TABLE IF NOT EXISTS `{project}.nba_raw.game_lines` (
  game_date DATE NOT NULL,
  game_id STRING NOT NULL,
  event_id STRING NOT NULL,
  home_team_abbr STRING NOT NULL,
  away_team_abbr STRING NOT NULL,
  commence_time_utc TIMESTAMP,
  home_spread FLOAT64,
  total FLOAT64,
  home_win_prob FLOAT64,
  book_count INT64 NOT NULL,
  spread_books INT64,
  total_books INT64,
  moneyline_books INT64,
  books STRING,
  last_update_utc TIMESTAMP,
  source STRING NOT NULL,
  landing_key STRING NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id
OPTIONS (description = "One consensus game line per scheduled game: median home spread and total across books, no-vig home win probability from the moneylines.");

CREATE TABLE IF NOT EXISTS `{project}.nba_raw.injury_report` (
  game_date DATE NOT NULL,
  report_time_utc TIMESTAMP NOT NULL,
  game_time_et STRING,
  matchup STRING,
  team_abbr STRING NOT NULL,
  player_name STRING NOT NULL,
  player_lookup STRING NOT NULL,
  player_id INT64,
  status STRING NOT NULL,
  status_raw STRING NOT NULL,
  reason STRING,
  source STRING NOT NULL,
  landing_key STRING NOT NULL
)
PARTITION BY game_date
CLUSTER BY team_abbr, player_lookup
OPTIONS (description = "Players on an injury report per report time, game date (US/Eastern) and team, status normalised to Out, Doubtful, Questionable, Probable or Available.");
