from pathlib import Path

import pandas as pd
import pytest

from nba_pipeline.domain.players import is_normalized, player_lookup, player_lookup_series
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
    # 350 distinct book spellings; the rest are reversed or initial-only names the
    # unknown-player check flags for a person to alias.
    assert met.mean() >= 0.95, list(odds_names[~met])
