"""One key per person across sources: box scores and sportsbooks spell names differently."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")

# Nicknames the books use for players that nba.com lists by their full first name (and back).
# Keys and values are already-normalized lookups; the value is the nba.com spelling.
ALIASES: dict[str, str] = {
    "nicolasclaxton": "nicclaxton",
    "herbertjones": "herbjones",
    "cameronthomas": "camthomas",
    "kenyonmartin": "kjmartin",
    "moritzwagner": "moewagner",
    "gregorybrown": "gregbrown",
    "camjohnson": "cameronjohnson",
    "joshuagiddey": "joshgiddey",
    "christianjamesmccollum": "cjmccollum",
    "obadiahtoppin": "obitoppin",
    "vincentwilliams": "vincewilliams",
    "mohamedbamba": "mobamba",
    "edricefemiadebayo": "bamadebayo",
    "alfredjoelhorfordreynoso": "alhorford",
}


def player_lookup(name: str | None) -> str:
    """Normalize a display name: accents off, lower case, no punctuation/spaces, no suffixes.

    ``Nikola Vučević`` -> ``nikolavucevic``; ``Kevin Porter Jr.`` -> ``kevinporter``;
    ``C.J. McCollum`` and ``CJ McCollum`` -> ``cjmccollum``.
    """
    if name is None or (isinstance(name, float) and name != name):
        return ""
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    lowered = ascii_name.lower().replace(".", "").replace("'", "").replace("-", " ")
    tokens = [t for t in _NON_ALNUM.sub(" ", lowered).split() if t]
    while len(tokens) > 1 and tokens[-1] in _SUFFIXES:
        tokens.pop()
    key = "".join(tokens)
    return ALIASES.get(key, key)


def player_lookup_series(names: pd.Series) -> pd.Series:
    """Vectorized over unique names (there are far fewer names than rows)."""
    uniques = {n: player_lookup(n) for n in pd.unique(names)}
    return names.map(uniques).astype("string")


def is_normalized(lookup: str) -> bool:
    return bool(lookup) and lookup == player_lookup(lookup)
