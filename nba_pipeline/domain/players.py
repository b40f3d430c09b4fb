"""One key per person across sources: box scores and sportsbooks spell names differently."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

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


def name_tokens(name: str | None) -> list[str]:
    """A display name's words, normalized: accents off, lower case, no punctuation, no suffix.

    Periods go (``C.J.`` -> ``cj``), hyphens split (``Gilgeous-Alexander`` -> two words), and a
    trailing Jr./Sr./II/III/IV/V is dropped, so ``Ronald Holland II`` -> ``ronald holland``.
    """
    if name is None or (isinstance(name, float) and name != name):
        return []
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    lowered = ascii_name.lower().replace(".", "").replace("'", "").replace("-", " ")
    tokens = [t for t in _NON_ALNUM.sub(" ", lowered).split() if t]
    while len(tokens) > 1 and tokens[-1] in _SUFFIXES:
        tokens.pop()
    return tokens


def player_lookup(name: str | None) -> str:
    """Normalize a display name to one key: the words of `name_tokens` joined, then aliased.

    ``Nikola Vučević`` -> ``nikolavucevic``; ``Kevin Porter Jr.`` -> ``kevinporter``;
    ``C.J. McCollum`` and ``CJ McCollum`` -> ``cjmccollum``.
    """
    key = "".join(name_tokens(name))
    return ALIASES.get(key, key)


def player_lookup_series(names: pd.Series) -> pd.Series:
    """Vectorized over unique names (there are far fewer names than rows)."""
    uniques = {n: player_lookup(n) for n in pd.unique(names)}
    return names.map(uniques).astype("string")


def is_normalized(lookup: str) -> bool:
    return bool(lookup) and lookup == player_lookup(lookup)


# --- matching a book's spelling to a player of the game -----------------------------------------

# Common English diminutives the books use for a first name (the value: the full names it stands
# for). Prefixes (`Ron` for `Ronald`, `K.` for `Kentavious`) need no entry.
NICKNAMES: dict[str, frozenset[str]] = {
    "alex": frozenset({"alexander", "alexandre"}), "andy": frozenset({"andrew"}),
    "bill": frozenset({"william"}), "bob": frozenset({"robert"}), "bobby": frozenset({"robert"}),
    "chris": frozenset({"christopher", "christian"}), "dan": frozenset({"daniel"}),
    "danny": frozenset({"daniel"}), "dave": frozenset({"david"}), "ed": frozenset({"edward"}),
    "jake": frozenset({"jacob"}), "jim": frozenset({"james"}), "jimmy": frozenset({"james"}),
    "joe": frozenset({"joseph"}), "matt": frozenset({"matthew"}), "mike": frozenset({"michael"}),
    "nate": frozenset({"nathan", "nathaniel"}), "nick": frozenset({"nicholas", "nicolas"}),
    "pat": frozenset({"patrick"}), "rob": frozenset({"robert"}), "steve": frozenset({"steven",
                                                                                    "stephen"}),
    "tim": frozenset({"timothy"}), "tony": frozenset({"anthony"}), "will": frozenset({"william"}),
    "zach": frozenset({"zachary"}),
}
# Rules in the order they are tried; the first rule any candidate meets decides, and it must be
# met by exactly one candidate. The first two are strong evidence (the same words); the last two
# are loose, so they never take a player the books already price under his own name that day.
STRONG_RULES = ("reordered", "first_name")
LOOSE_RULES = ("similar", "surname")
SIMILAR_RATIO = 0.9  # difflib ratio of the two keys; Jalen/Jaylin Williams score 0.89
MATCH_COLUMNS = ["game_date", "line_name", "line_lookup", "home_team_abbr", "away_team_abbr",
                 "player_lookup", "player_name", "team_abbr", "rule", "reason"]


def _first_names_agree(a: str, b: str) -> bool:
    """`Ron`/`Ronald`, `K`/`Kentavious`, `Mike`/`Michael`: a prefix or a known diminutive."""
    return (a.startswith(b) or b.startswith(a) or b in NICKNAMES.get(a, frozenset())
            or a in NICKNAMES.get(b, frozenset()))


def _meets(rule: str, line: list[str], cand: list[str], line_key: str, cand_key: str) -> bool:
    if rule == "reordered":
        return len(line) > 1 and sorted(line) == sorted(cand)
    if rule == "first_name":
        return (len(line) > 1 and len(cand) > 1 and line[1:] == cand[1:]
                and _first_names_agree(line[0], cand[0]))
    if rule == "similar":
        return difflib.SequenceMatcher(None, line_key, cand_key).ratio() >= SIMILAR_RATIO
    # surname: the same last name(s) and three letters at least (`Carlton`/`Bub Carrington`).
    return (len(line) > 1 and len(cand) > 1 and line[1:] == cand[1:]
            and len("".join(line[1:])) >= 3)


def match_line_names(names: pd.DataFrame, candidates: pd.DataFrame,
                     known: Iterable[str]) -> pd.DataFrame:
    """Match book spellings that meet no known player to one player of the same game and date.

    `names`: one row per line name (`game_date`, `player_lookup`, `player_name`,
    `home_team_abbr`, `away_team_abbr`); `candidates`: the players who may play that date
    (`game_date`, `team_abbr`, `player_lookup`, `player_name`); `known`: every lookup of a real
    player (a known lookup is that player, never re-matched, so an exact or aliased spelling
    always wins). Returns one row per unknown name: the player and `rule` when exactly one
    candidate of the two teams meets the first rule any meets, else `reason` (no candidate, or
    ambiguous with the names that tied).
    """
    known = set(known)
    if names.empty:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    names = names.assign(game_date=pd.to_datetime(names["game_date"]),
                         player_lookup=names["player_lookup"].astype(str))
    names = names.drop_duplicates(["game_date", "player_lookup", "home_team_abbr",
                                   "away_team_abbr"])
    priced = names[names["player_lookup"].isin(known)]
    priced_on = set(zip(priced["game_date"], priced["player_lookup"], strict=True))
    unknown = names[~names["player_lookup"].isin(known) & (names["player_lookup"] != "")]
    if unknown.empty:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    cands = candidates.assign(game_date=pd.to_datetime(candidates["game_date"]),
                              team_abbr=candidates["team_abbr"].astype(str),
                              player_lookup=candidates["player_lookup"].astype(str),
                              player_name=candidates["player_name"].fillna("").astype(str))
    cands = cands[cands["game_date"].isin(set(unknown["game_date"]))].drop_duplicates(
        ["game_date", "team_abbr", "player_lookup"])
    tokens = {n: name_tokens(n) for n in pd.unique(cands["player_name"])}
    by_side: dict[tuple[pd.Timestamp, str], list[tuple[str, str, list[str]]]] = {}
    for r in cands.itertuples(index=False):
        by_side.setdefault((r.game_date, r.team_abbr), []).append(
            (r.player_lookup, r.player_name, tokens[r.player_name]))
    rows = []
    for r in unknown.itertuples(index=False):
        line = name_tokens(r.player_name)
        pool = [(team, *c) for team in (str(r.home_team_abbr), str(r.away_team_abbr))
                for c in by_side.get((r.game_date, team), [])]
        row = {"game_date": r.game_date, "line_name": r.player_name,
               "line_lookup": r.player_lookup, "home_team_abbr": r.home_team_abbr,
               "away_team_abbr": r.away_team_abbr, "player_lookup": None, "player_name": None,
               "team_abbr": None, "rule": None, "reason": "no candidate on either team"}
        for rule in (*STRONG_RULES, *LOOSE_RULES):
            hits = [c for c in pool if _meets(rule, line, c[3], r.player_lookup, c[1])
                    and (rule in STRONG_RULES or (r.game_date, c[1]) not in priced_on)]
            if len(hits) == 1:
                team, lookup, nba_name, _ = hits[0]
                row.update(player_lookup=lookup, player_name=nba_name, team_abbr=team,
                           rule=rule, reason=None)
                break
            if hits:
                row["reason"] = f"ambiguous ({rule}): " + ", ".join(sorted(h[2] for h in hits))
                break
        rows.append(row)
    out = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    # Two spellings taking one player by a loose rule on one date: neither is trusted.
    loose = out["rule"].isin(LOOSE_RULES)
    taken = out[out["rule"].notna()].groupby(["game_date", "player_lookup"])["line_lookup"]
    shared = taken.transform("nunique").reindex(out.index).fillna(0) > 1
    clash = loose & shared
    if clash.any():
        out.loc[clash, "reason"] = "ambiguous: another line name took " + out.loc[
            clash, "player_name"].astype(str)
        out.loc[clash, ["player_lookup", "player_name", "team_abbr", "rule"]] = None
    return out.sort_values(["game_date", "line_lookup"], kind="stable").reset_index(drop=True)
