from pathlib import Path

import pandas as pd
import pytest

from nba_pipeline.domain.players import (
    is_normalized,
    match_line_names,
    player_lookup,
    player_lookup_series,
)
from nba_pipeline.sources.recorded import data_dir


@pytest.mark.parametrize(
    ("name", "lookup"),
    [
        ("Nikola Vučević", "nikolavucevic"),
        ("Kevin Porter Jr.", "kevinporter"),
        ("Gary Trent Jr.", "garytrent"),
        ("Marvin Bagley III", "marvinbagley"),
        ("C.J. McCollum", "cjmccollum"),
        ("CJ McCollum", "cjmccollum"),
        ("Shai Gilgeous-Alexander", "shaigilgeousalexander"),
        ("De'Aaron Fox", "deaaronfox"),
        ("Luka Dončić", "lukadoncic"),
        ("  Jusuf  Nurkić ", "jusufnurkic"),
        ("Nicolas Claxton", "nicclaxton"),
        ("Herbert Jones", "herbjones"),
        (None, ""),
    ],
)
def test_player_lookup(name, lookup):
    assert player_lookup(name) == lookup


def test_is_normalized():
    assert is_normalized("nikolavucevic")
    assert not is_normalized("Nikola Vucevic")
    assert not is_normalized("")


def _root() -> Path:
    return data_dir()


def test_box_score_and_odds_spellings_meet():
    """The Odds API and nba.com spell these players differently; their lookups must meet."""
    box = pd.read_csv(_root() / "box_scores/player_logs_2023-24.csv.gz", usecols=["PLAYER_NAME"])
    lines = pd.read_csv(
        _root() / "prop_lines/oddsapi_props_player_points_2024-03-02_to_2024-05-25.csv.gz",
        usecols=["player"])
    box_lookups = set(player_lookup_series(box["PLAYER_NAME"]))
    pairs = [("Nicolas Claxton", "Nic Claxton"), ("Herbert Jones", "Herb Jones"),
             ("C.J. McCollum", "CJ McCollum"), ("Cam Johnson", "Cameron Johnson"),
             ("Nikola Vucevic", "Nikola Vučević")]
    for odds_name, nba_name in pairs:
        assert player_lookup(odds_name) == player_lookup(nba_name)
        assert player_lookup(nba_name) in box_lookups
    odds_names = pd.Series(lines["player"].unique())
    met = player_lookup_series(odds_names).isin(box_lookups)
    # 350 distinct book spellings; the rest are reversed or initial-only names that
    # match_line_names resolves per game (tests below and domain/test_analytics.py).
    assert met.mean() >= 0.95, list(odds_names[~met])


# --- matching a book's spelling to a player of the game -----------------------------------------

def _cands(*players: tuple[str, str]) -> pd.DataFrame:
    """Players (team, nba.com name) expected on 2025-11-01."""
    return pd.DataFrame([{"game_date": "2025-11-01", "team_abbr": t, "player_name": n,
                          "player_lookup": player_lookup(n)} for t, n in players])


def _match(line_name: str, cands: pd.DataFrame, home: str = "WAS", away: str = "DET",
           also_priced: tuple[str, ...] = ()) -> dict:
    names = pd.DataFrame([{"game_date": "2025-11-01", "player_name": n,
                           "player_lookup": player_lookup(n), "home_team_abbr": home,
                           "away_team_abbr": away} for n in (line_name, *also_priced)])
    out = match_line_names(names, cands, set(cands["player_lookup"]))
    assert len(out) == 1, out
    return out.iloc[0].to_dict()


ROSTERS = _cands(("WAS", "Bub Carrington"), ("WAS", "Jordan Poole"), ("WAS", "Kyle Kuzma"),
                 ("DET", "Ronald Holland II"), ("DET", "Jaden Ivey"), ("DET", "Tim Hardaway Jr."),
                 ("DET", "Cade Cunningham"))


@pytest.mark.parametrize(("line_name", "nba_name", "team", "rule"), [
    # 2025-26: books write these; nba.com lists the player by another first name.
    ("Carlton Carrington", "Bub Carrington", "WAS", "surname"),
    ("Ron Holland", "Ronald Holland II", "DET", "first_name"),
    # Real Odds API spellings of 2024-03 (surname first, initial only).
    ("Poole Jordan", "Jordan Poole", "WAS", "reordered"),
    ("J. Ivey", "Jaden Ivey", "DET", "first_name"),
    ("Jaden Ivy", "Jaden Ivey", "DET", "similar"),
])
def test_unknown_spelling_matches_one_player_of_the_game(line_name, nba_name, team, rule):
    row = _match(line_name, ROSTERS)
    assert (row["player_name"], row["team_abbr"], row["rule"]) == (nba_name, team, rule)
    assert row["player_lookup"] == player_lookup(nba_name) and row["reason"] is None


def test_normalisation_alone_meets_accents_suffixes_and_initials():
    """These need no fuzzy rule: the normalized keys are equal, so the name is simply known."""
    assert player_lookup("Nikola Jokic") == player_lookup("Nikola Jokić")
    assert player_lookup("Ronald Holland") == player_lookup("Ronald Holland II")
    assert player_lookup("Jaren Jackson Jr") == player_lookup("Jaren Jackson Jr.")
    assert player_lookup("Tim Hardaway III") == player_lookup("Tim Hardaway Jr.")
    assert player_lookup("P.J. Washington") == player_lookup("PJ Washington")
    cands = _cands(("DEN", "Nikola Jokić"))
    names = pd.DataFrame([{"game_date": "2025-11-01", "player_name": "Nikola Jokic",
                           "player_lookup": player_lookup("Nikola Jokic"),
                           "home_team_abbr": "DEN", "away_team_abbr": "UTA"}])
    assert match_line_names(names, cands, set(cands["player_lookup"])).empty


def test_two_players_sharing_a_surname_leave_an_initial_unmatched():
    cands = _cands(("OKC", "Jalen Williams"), ("OKC", "Jaylin Williams"), ("OKC", "Lu Dort"))
    row = _match("J. Williams", cands, "OKC", "DEN")
    assert row["player_lookup"] is None and row["rule"] is None
    assert row["reason"] == "ambiguous (first_name): Jalen Williams, Jaylin Williams"


def test_loose_rules_never_take_a_player_priced_under_his_own_name():
    """A rookie `Jalen Williams` with no box score must not become `Jaylin Williams`."""
    cands = _cands(("OKC", "Jaylin Williams"), ("OKC", "Lu Dort"))
    row = _match("Jalen Williams", cands, "OKC", "DEN", also_priced=("Jaylin Williams",))
    assert row["player_lookup"] is None and row["reason"] == "no candidate on either team"


def test_no_candidate_and_known_names_are_left_alone():
    row = _match("Victor Wembanyama", ROSTERS)
    assert row["player_lookup"] is None and row["reason"] == "no candidate on either team"
    # A name the box scores know is that player, whatever a teammate is called.
    names = pd.DataFrame([{"game_date": "2025-11-01", "player_name": "Caleb Martin",
                           "player_lookup": "calebmartin", "home_team_abbr": "MIA",
                           "away_team_abbr": "DET"}])
    cands = _cands(("MIA", "Cody Martin"))
    assert match_line_names(names, cands, {"calebmartin", "codymartin"}).empty


def test_explicit_alias_wins_over_the_fuzzy_rule():
    """`Nicolas Claxton` is aliased to nba.com's `Nic Claxton`: known, so never fuzzy-matched."""
    cands = _cands(("BKN", "Nic Claxton"), ("BKN", "Nicolas Batum"))
    names = pd.DataFrame([{"game_date": "2025-11-01", "player_name": "Nicolas Claxton",
                           "player_lookup": player_lookup("Nicolas Claxton"),
                           "home_team_abbr": "BKN", "away_team_abbr": "LAC"}])
    assert player_lookup("Nicolas Claxton") == "nicclaxton"
    assert match_line_names(names, cands, set(cands["player_lookup"])).empty


def test_two_spellings_taking_one_player_by_a_loose_rule_are_both_left_unmatched():
    cands = _cands(("WAS", "Bub Carrington"), ("WAS", "Kyle Kuzma"))
    names = pd.DataFrame([{"game_date": "2025-11-01", "player_name": n,
                           "player_lookup": player_lookup(n), "home_team_abbr": "WAS",
                           "away_team_abbr": "DET"}
                          for n in ("Carlton Carrington", "Carl Carrington")])
    out = match_line_names(names, cands, set(cands["player_lookup"]))
    assert out["player_lookup"].isna().all()
    assert out["reason"].str.startswith("ambiguous: another line name took").all()
