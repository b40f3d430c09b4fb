"""Parsers and domain code of game lines and injury reports, on the real recorded files."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from nba_pipeline.domain.game_lines import consensus_lines, implied_probability, no_vig_home
from nba_pipeline.domain.injuries import (
    normalise_status,
    report_name,
    teams_playing,
    with_player_ids,
)
from nba_pipeline.ingest.parsers.balldontlie import parse_bdl_injuries
from nba_pipeline.ingest.parsers.common import stack_rows
from nba_pipeline.ingest.parsers.game_lines import (
    CLOSING_LINE_CODES,
    closing_code_tricode,
    parse_closing_lines,
    parse_game_odds,
    parse_historical_game_odds,
)
from nba_pipeline.ingest.parsers.injury_report import parse_injury_report, read_injury_pdf
from nba_pipeline.ingest.payloads import PayloadError
from nba_pipeline.sources import recorded
from nba_pipeline_tests.sources.fake_api import sample

DAY = date(2024, 1, 24)  # ATL @ GSW, 22:20 ET (03:20 UTC the next day)
REPORT_DAY = date(2024, 1, 4)
BDL_KEY = "balldontlie/injuries/2024-01-04/20240104T140000Z/injuries_p001.json"


def _schedule(*games: tuple[str, str, str], day: date = DAY) -> pd.DataFrame:
    return pd.DataFrame([{"game_date": day, "game_id": g, "home_team_abbr": h,
                          "away_team_abbr": a} for g, h, a in games])


def test_historical_snapshots_parse_to_one_row_per_book() -> None:
    h2h = parse_historical_game_odds(
        sample("odds_api_historical_game_lines/raw_9221b91f.json"), DAY, "k1")
    lines = parse_historical_game_odds(sample("oddsa_game_lines_his/raw_b722994c.json"), DAY, "k2")
    assert list(h2h["bookmaker"]) == list(lines["bookmaker"]) == ["draftkings", "fanduel"]
    assert list(h2h["home_price"]) == [1.32, 1.26] and list(h2h["away_price"]) == [3.3, 3.8]
    assert list(lines["home_spread"]) == [-6.5, -7.5] and list(lines["total"]) == [248.5, 247.5]
    assert set(lines["home_team_abbr"]) == {"GSW"} and set(lines["away_team_abbr"]) == {"ATL"}
    # Tip-off is 03:20 UTC on the 25th: the event's US-Eastern date is the 24th.
    assert set(lines["event_date"]) == {DAY}


def test_live_list_parses_and_a_wrong_shape_names_the_field() -> None:
    event = json.loads(sample("oddsa_game_lines_his/raw_b722994c.json"))["data"]
    rows = parse_game_odds(json.dumps([event]).encode(), DAY, "k")
    assert len(rows) == 2
    del event["home_team"]
    with pytest.raises(PayloadError, match=r"field '0.home_team'.*kept in the landing store"):
        parse_game_odds(json.dumps([event]).encode(), DAY, "k")


def test_consensus_medians_no_vig_and_the_schedule_sides() -> None:
    books = stack_rows([
        parse_historical_game_odds(sample("odds_api_historical_game_lines/raw_9221b91f.json"),
                                   DAY, "k1"),
        parse_historical_game_odds(sample("oddsa_game_lines_his/raw_b722994c.json"), DAY, "k2")])
    lines, fell_out = consensus_lines(books, _schedule(("0022300633", "GSW", "ATL")))
    assert fell_out.empty and len(lines) == 1
    row = lines.iloc[0]
    assert (row["game_id"], row["home_spread"], row["total"]) == ("0022300633", -7.0, 248.0)
    assert row["book_count"] == 2 and row["spread_books"] == 2 and row["moneyline_books"] == 2
    assert 0.7 < row["home_win_prob"] < 0.76
    # A neutral site where the schedule has the sides the other way round: flipped, not lost.
    flipped, _ = consensus_lines(books, _schedule(("0022300633", "ATL", "GSW")))
    assert flipped.iloc[0]["home_team_abbr"] == "ATL" and flipped.iloc[0]["home_spread"] == 7.0
    assert flipped.iloc[0]["home_win_prob"] == pytest.approx(1 - row["home_win_prob"])


def test_rows_that_fall_out_say_why() -> None:
    books = parse_historical_game_odds(sample("oddsa_game_lines_his/raw_b722994c.json"), DAY, "k")
    _, no_game = consensus_lines(books, _schedule(("0022300600", "BOS", "NYK")))
    assert list(no_game["reason"]) == ["no scheduled game ATL@GSW on 2024-01-24"]
    _, other_day = consensus_lines(books.assign(game_date=date(2024, 1, 25)),
                                   _schedule(("0022300633", "GSW", "ATL")))
    assert "tips off on 2024-01-24 (US/Eastern), not 2024-01-25" in other_day["reason"].iloc[0]
    renamed = books.assign(home_team="Golden State Dubs", home_team_abbr=None)
    _, unknown = consensus_lines(renamed, _schedule(("0022300633", "GSW", "ATL")))
    assert list(unknown["reason"]) == ["unknown team name 'Golden State Dubs'"]
    assert unknown["books"].iloc[0] == 2 and unknown["landing_key"].iloc[0] == "k"


def test_implied_probabilities_american_and_decimal() -> None:
    assert implied_probability(-150) == pytest.approx(0.6)
    assert implied_probability(150) == pytest.approx(0.4)
    assert implied_probability(2.5) == pytest.approx(0.4)
    assert implied_probability(None) is None and implied_probability(0.5) is None
    assert no_vig_home(-110, -110) == pytest.approx(0.5)
    assert no_vig_home(-150, None) is None


def test_closing_lines_replay_body_parses_with_the_team_code_map() -> None:
    root = recorded.data_dir()
    body = recorded.closing_lines_body(root, date(2024, 1, 3))
    rows = parse_closing_lines(body, date(2024, 1, 3), "k")
    assert len(rows) == 12 and set(rows["bookmaker"]) == {"closing"}
    raw = pd.DataFrame(json.loads(body)["rows"])
    codes = set(raw["home"]) | set(raw["away"])
    assert codes & set(CLOSING_LINE_CODES)  # this date has some of the six short codes
    assert {closing_code_tricode(c) for c in codes} == (
        set(rows["home_team_abbr"]) | set(rows["away_team_abbr"]))
    # The favourite's margin becomes the home handicap: negative when home is favoured.
    for r, p in zip(json.loads(body)["rows"], rows.itertuples(), strict=True):
        assert p.home_spread == (-r["spread"] if r["whos_favored"] == "home" else r["spread"])
    assert closing_code_tricode("gs") == "GSW" and closing_code_tricode("utah") == "UTA"
    assert closing_code_tricode("bos") == "BOS"
    assert recorded.closing_lines_body(root, date(2024, 7, 1)).count(b'"rows": []') == 1


def test_an_unknown_closing_team_code_is_a_clear_error() -> None:
    body = json.loads(recorded.closing_lines_body(recorded.data_dir(), date(2024, 1, 3)))
    body["rows"][0]["home"] = "nj"
    with pytest.raises(PayloadError, match=r"unknown team code 'nj'"):
        parse_closing_lines(json.dumps(body).encode(), date(2024, 1, 3), "k")


def test_the_official_pdf_reads_every_listed_player() -> None:
    document = read_injury_pdf(sample("nbac_injury_report/raw_f4391904.pdf"))
    assert document.report_time == "01/04/24 12:30 PM"
    assert len(document.entries) == 14 and "MIL@SAS Milwaukee Bucks" in document.not_submitted
    rows = parse_injury_report(sample("nbac_injury_report/raw_f4391904.pdf"), REPORT_DAY, "k")
    assert len(rows) == 14
    assert str(rows["report_time_utc"].iloc[0]) == "2024-01-04 17:30:00+00:00"
    by_name = rows.set_index("player_name")
    # A reason wrapped onto the lines above and below its player belongs to that player.
    assert by_name.loc["Doug McDermott", "reason"] == "Injury/Illness - Right Forearm; Contusion"
    assert by_name.loc["David Duke Jr.", "player_lookup"] == "davidduke"
    assert by_name.loc["Gary Payton II", "team_abbr"] == "GSW"
    assert by_name.loc["Reggie Jackson", "matchup"] == "DEN@GSW"
    assert by_name.loc["Reggie Jackson", "game_time_et"] == "10:00 (ET)"
    assert rows["status"].value_counts().to_dict() == {
        "Out": 10, "Questionable": 2, "Doubtful": 1, "Probable": 1}
    # The report also lists the next day's games: those rows are that day's partition's.
    assert parse_injury_report(sample("nbac_injury_report/raw_f4391904.pdf"),
                               date(2024, 1, 5), "k").empty


def test_a_body_that_is_not_the_report_is_named() -> None:
    with pytest.raises(PayloadError, match="not a readable PDF"):
        parse_injury_report(b"<html>", REPORT_DAY, "k")


def test_balldontlie_injuries_parse_and_keep_the_playing_teams() -> None:
    rows = parse_bdl_injuries(sample("bdl_injuries/raw_49fd60fb.json"), REPORT_DAY, BDL_KEY)
    assert len(rows) == 100 and set(rows["status"]) == {"Questionable", "Out"}
    assert set(rows["status_raw"]) == {"Day-To-Day", "Out"}
    assert str(rows["report_time_utc"].iloc[0]) == "2024-01-04 14:00:00+00:00"
    assert rows.iloc[0]["team_abbr"] == "ATL" and rows.iloc[0]["player_name"] == "Jacob Toppin"
    kept, others = teams_playing(rows, _schedule(("1", "BOS", "ATL"), day=REPORT_DAY))
    assert set(kept["team_abbr"]) == {"ATL", "BOS"} and len(kept) + len(others) == 100


def test_an_unknown_balldontlie_team_id_is_named() -> None:
    data = json.loads(sample("bdl_injuries/raw_49fd60fb.json"))
    data["data"][0]["player"]["team_id"] = 41
    with pytest.raises(PayloadError, match="unknown team id 41"):
        parse_bdl_injuries(json.dumps(data).encode(), REPORT_DAY, BDL_KEY)


def test_statuses_names_and_player_ids() -> None:
    assert [normalise_status(s) for s in ("OUT", " Day-To-Day", "questionable", "Suspended")
            ] == ["Out", "Questionable", "Questionable", "Suspended"]
    assert report_name("Payton II, Gary") == "Gary Payton II" and report_name("Nene") == "Nene"
    report = pd.DataFrame({"player_lookup": ["nicclaxton", "jalenwilliams", "nobody"],
                           "team_abbr": ["BKN", "OKC", "BOS"]})
    players = pd.DataFrame({
        "game_date": ["2024-01-01"] * 3, "player_lookup": ["nicclaxton", "jalenwilliams",
                                                           "jalenwilliams"],
        "player_id": [1629651, 1631114, 1631119], "team_abbr": ["BKN", "OKC", "DEN"]})
    ids = with_player_ids(report, players)["player_id"]
    # Two players share a name: the report's team decides; an unknown name stays null.
    assert ids.iloc[0] == 1629651 and ids.iloc[1] == 1631114 and pd.isna(ids.iloc[2])


def test_stacking_payload_rows_keeps_every_column_without_the_all_missing_warning() -> None:
    import warnings

    priced = pd.DataFrame({"game_id": ["a"], "price": [-110.0], "book": ["x"]})
    unpriced = pd.DataFrame({"game_id": ["b"], "price": [None], "note": ["late"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        rows = stack_rows([priced, pd.DataFrame(), unpriced])
    assert list(rows.columns) == ["game_id", "price", "book", "note"]
    assert rows["price"].dtype == float and rows["price"].isna().tolist() == [False, True]
    assert rows["note"].tolist()[1] == "late" and pd.isna(rows["book"].iloc[1])
    assert stack_rows([]).empty
