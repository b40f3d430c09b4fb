"""The 30 NBA teams, so that sources naming teams differently (tricode, id, full name) join."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Team:
    team_id: int
    tricode: str
    city: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.name}"


TEAMS: tuple[Team, ...] = (
    Team(1610612737, "ATL", "Atlanta", "Hawks"),
    Team(1610612738, "BOS", "Boston", "Celtics"),
    Team(1610612751, "BKN", "Brooklyn", "Nets"),
    Team(1610612766, "CHA", "Charlotte", "Hornets"),
    Team(1610612741, "CHI", "Chicago", "Bulls"),
    Team(1610612739, "CLE", "Cleveland", "Cavaliers"),
    Team(1610612742, "DAL", "Dallas", "Mavericks"),
    Team(1610612743, "DEN", "Denver", "Nuggets"),
    Team(1610612765, "DET", "Detroit", "Pistons"),
    Team(1610612744, "GSW", "Golden State", "Warriors"),
    Team(1610612745, "HOU", "Houston", "Rockets"),
    Team(1610612754, "IND", "Indiana", "Pacers"),
    Team(1610612746, "LAC", "LA", "Clippers"),
    Team(1610612747, "LAL", "Los Angeles", "Lakers"),
    Team(1610612763, "MEM", "Memphis", "Grizzlies"),
    Team(1610612748, "MIA", "Miami", "Heat"),
    Team(1610612749, "MIL", "Milwaukee", "Bucks"),
    Team(1610612750, "MIN", "Minnesota", "Timberwolves"),
    Team(1610612740, "NOP", "New Orleans", "Pelicans"),
    Team(1610612752, "NYK", "New York", "Knicks"),
    Team(1610612760, "OKC", "Oklahoma City", "Thunder"),
    Team(1610612753, "ORL", "Orlando", "Magic"),
    Team(1610612755, "PHI", "Philadelphia", "76ers"),
    Team(1610612756, "PHX", "Phoenix", "Suns"),
    Team(1610612757, "POR", "Portland", "Trail Blazers"),
    Team(1610612758, "SAC", "Sacramento", "Kings"),
    Team(1610612759, "SAS", "San Antonio", "Spurs"),
    Team(1610612761, "TOR", "Toronto", "Raptors"),
    Team(1610612762, "UTA", "Utah", "Jazz"),
    Team(1610612764, "WAS", "Washington", "Wizards"),
)

BY_TRICODE = {t.tricode: t for t in TEAMS}
BY_ID = {t.team_id: t for t in TEAMS}
_BY_NAME = {t.full_name.lower(): t for t in TEAMS}
_BY_NAME.update({"los angeles clippers": BY_TRICODE["LAC"], "la lakers": BY_TRICODE["LAL"]})


def tricode_for_name(full_name: str) -> str | None:
    """Map a sportsbook team name ('Los Angeles Clippers') to its tricode, or None if unknown."""
    team = _BY_NAME.get(str(full_name).strip().lower())
    return team.tricode if team else None
