"""One contract, two landing stores: a local folder and a GCS bucket (fake-gcs-server)."""

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from nba_pipeline.storage.gcs_landing import GCSLandingStore, split_names
from nba_pipeline.storage.landing import (
    MANIFEST_NAME,
    LandedKey,
    LandingStore,
    LocalLandingStore,
    UnsafeKeyError,
    key_problem,
    landing_key,
    safe_name,
)
from nba_pipeline_tests.emulators import Emulator, start_fake_gcs, stop

KEYS = [
    "nba_com/leaguegamelog/2024-03-04/20240305T060000Z/part-0.json",
    "nba_com/leaguegamelog/2024-03-04/20240305T060000Z/part-1.json",
    "nba_com/leaguegamelog/2024-03-05/20240306T060000Z/part-0.json",
    "nba_com/scoreboard/2024-03-04/20240304T150000Z/scoreboard.json",
    "odds_api/player_points/2024-03-04/20240304T160000Z/event-a.json",
    "odds_api/player_points/2024-03-04/20240304T160000Z/event-b.json",
    "odds_api/player_points/2024-03-04/20240304T220000Z/event-a.json",
    "odds_api/player_points.txt",  # a sibling file that sorts before the folder's keys
]


@pytest.fixture(scope="module")
def fake_gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """fake-gcs-server alone: these tests need no BigQuery emulator."""
    emulator = start_fake_gcs(tmp_path_factory.mktemp("fake-gcs"))
    yield emulator
    stop(emulator)


@pytest.fixture(params=["local", "gcs"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> LandingStore:
    if request.param == "local":
        return LocalLandingStore(base_dir=str(tmp_path / "landing"))
    bucket = f"landing-{uuid.uuid4().hex[:10]}"
    gcs = GCSLandingStore(bucket=bucket, prefix="landing", project="test",
                          emulator_endpoint=request.getfixturevalue("fake_gcs").endpoint)
    gcs.client().create_bucket(bucket)
    return gcs


def plant(store: LandingStore, name: str, data: bytes) -> None:
    """Put an object under `name` past the store's own checks, as another writer could."""
    if isinstance(store, GCSLandingStore):
        store._bucket().blob(store._name(name)).upload_from_string(data)
    else:
        path = Path(store.base_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture
def filled(store: LandingStore) -> LandingStore:
    for key in reversed(KEYS):
        store.write_bytes(key, key.encode())
    return store


def test_write_read_list(filled: LandingStore) -> None:
    assert filled.list_keys() == sorted(KEYS)
    assert filled.list_keys("odds_api/player_points/") == sorted(
        k for k in KEYS if k.startswith("odds_api/player_points/"))
    assert filled.read_bytes(KEYS[0]) == KEYS[0].encode()
    assert filled.exists(KEYS[3]) and not filled.exists(KEYS[3] + ".missing")


def test_list_since_pages_in_key_order_bounded_per_call(filled: LandingStore) -> None:
    seen, cursor, calls = [], None, 0
    while True:
        keys, cursor = filled.list_since("", cursor, 3)
        assert len(keys) <= 3
        calls += 1
        if not keys:
            break
        seen += keys
    assert seen == sorted(KEYS)
    assert calls == 4  # 3 + 3 + 2, then an empty page
    assert cursor == sorted(KEYS)[-1]  # an empty page keeps the cursor


def test_list_since_under_a_prefix_sees_only_new_keys(filled: LandingStore) -> None:
    prefix = "odds_api/player_points/"
    keys, cursor = filled.list_since(prefix, None, 100)
    assert keys == sorted(k for k in KEYS if k.startswith(prefix))
    assert "odds_api/player_points.txt" not in keys
    assert filled.list_since(prefix, cursor, 100) == ([], cursor)
    new = "odds_api/player_points/2024-03-05/20240305T160000Z/event-c.json"
    filled.write_bytes(new, b"{}")
    assert filled.list_since(prefix, cursor, 100) == ([new], new)
    # A cursor from the middle resumes after it, never repeating it.
    middle = keys[1]
    assert filled.list_since(prefix, middle, 100)[0] == [*keys[2:], new]


def test_key_version_changes_when_a_file_is_rewritten(filled: LandingStore) -> None:
    key = KEYS[0]
    first = filled.key_version(key)
    assert filled.key_version(key) == first
    filled.write_bytes(key, b"corrected payload, longer than before")
    assert filled.key_version(key) != first
    assert filled.read_bytes(key) == b"corrected payload, longer than before"
    with pytest.raises(FileNotFoundError):
        filled.key_version("no/such/2024-01-01/20240101T000000Z/key.json")


def test_no_partial_write_is_ever_listed(store: LandingStore) -> None:
    """Readers listing while a writer rewrites a large object see only complete contents."""
    key = "nba_com/leaguegamelog/2024-03-04/20240305T060000Z/big.json"
    payloads = [bytes([65 + i]) * 2_000_000 for i in range(4)]
    store.write_bytes(key, payloads[0])
    errors: list[str] = []
    done = threading.Event()

    def read_loop() -> None:
        while not done.is_set():
            for listed in store.list_since("nba_com/", None, 10)[0]:
                data = store.read_bytes(listed)
                if data not in payloads:
                    errors.append(f"{listed}: {len(data)} bytes, not a complete payload")

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        for payload in payloads[1:] * 2:
            store.write_bytes(key, payload)
    finally:
        done.set()
        reader.join(timeout=60)
    assert not errors, errors[:3]
    assert store.list_keys("nba_com/") == [key]


def test_local_store_hides_temp_files_and_refuses_escaping_keys(tmp_path: Path) -> None:
    store = LocalLandingStore(base_dir=str(tmp_path))
    store.write_bytes("a/b/c.json", b"1")
    (tmp_path / "a" / "b" / ".tmp-123.part").write_bytes(b"half")
    assert store.list_keys() == ["a/b/c.json"]
    assert store.list_since("a/", None, 10) == (["a/b/c.json"], "a/b/c.json")
    with pytest.raises(ValueError, match="escape"):
        store.write_bytes("../outside.json", b"x")
    with pytest.raises(ValueError, match="escape"):  # a sibling folder sharing the name prefix
        store.write_bytes(f"../{tmp_path.name}-other/x.json", b"x")
    with pytest.raises(ValueError, match="limit"):
        store.list_since("", None, 0)


# --- issue 16 class A: no upstream value names a path; fetch selection is never fooled -------

AT = datetime(2024, 3, 5, 14, 0, tzinfo=timezone.utc)
DAY = date(2024, 3, 5)


@pytest.mark.parametrize("upstream", [
    "../../../../nba_com/leaguegamelog/2024-03-05/20240306T120000Z/leaguegamelog.json",
    "abc/def.json", "..json", ".hidden.json", "_manifest.json", "a b.json", "x" * 300 + ".json",
    "", "\u00e9v\u00e9nement.json", "a\\b.json",
])
def test_upstream_names_become_one_safe_segment_of_their_own_fetch(upstream: str) -> None:
    key = landing_key("odds_api", "event_odds_player_points", DAY, AT, upstream)
    landed = LandedKey.parse(key)
    assert key.startswith("odds_api/event_odds_player_points/2024-03-05/20240305T140000Z/")
    assert key_problem(key) is None and not landed.is_manifest
    assert landed.name == safe_name(upstream) != upstream
    assert landed.name.endswith(".json") or upstream == ""
    assert landing_key("odds_api", "event_odds_player_points", DAY, AT, upstream) == key


def test_safe_names_are_kept_and_distinct_unsafe_names_stay_distinct() -> None:
    assert safe_name("053626ca1b919a6721879172d51f6714.json") == (
        "053626ca1b919a6721879172d51f6714.json")
    assert safe_name("leaguegamelog_playoffs.json") == "leaguegamelog_playoffs.json"
    assert safe_name("a/b.json") != safe_name("a_b.json") != safe_name("a?b.json")
    assert safe_name("a/b.json") != safe_name("a?b.json")
    with pytest.raises(UnsafeKeyError, match="source"):
        landing_key("odds api", "event_odds_player_points", DAY, AT, "x.json")
    with pytest.raises(UnsafeKeyError, match="endpoint"):
        landing_key("odds_api", "../nba_com", DAY, AT, "x.json")


def test_gcs_object_names_are_split_into_keys_and_refused_names() -> None:
    """Pure: what GCSLandingStore.scan does with names listed from a bucket."""
    keys, refused = split_names(["b/c.json", "a/../b.json", "a//b.json", "a/b/", "a/.x",
                                 "a/b c.json", "a/b.json"])
    assert keys == ["a/b.json", "b/c.json"]
    assert set(refused) == {"a/../b.json", "a//b.json", "a/b/", "a/.x", "a/b c.json"}
    assert "escape" in refused["a/../b.json"]


@pytest.mark.parametrize("bad", ["a/../b.json", "a//b.json", "a/b/", "a/.hidden", "a/b c.json",
                                 "/abs.json", "a/_x/../../b.json"])
def test_unsafe_keys_are_refused_on_write_and_read(store: LandingStore, bad: str) -> None:
    with pytest.raises(UnsafeKeyError, match="landing key"):
        store.write_bytes(bad, b"x")
    with pytest.raises(UnsafeKeyError, match="landing key"):
        store.read_bytes(bad)
    assert store.list_keys() == []


def test_unsafe_object_names_are_reported_not_listed(store: LandingStore) -> None:
    store.write_bytes("nba_com/leaguegamelog/2024-03-05/20240306T110000Z/leaguegamelog.json",
                      b"ok")
    plant(store, "nba_com/leaguegamelog/2024-03-05/20240306T110000Z/bad name.json", b"x")
    plant(store, "nba_com/leaguegamelog/2024-03-05/.DS_Store", b"x")
    keys, refused = store.scan("nba_com/")
    assert keys == ["nba_com/leaguegamelog/2024-03-05/20240306T110000Z/leaguegamelog.json"]
    assert set(refused) == {"nba_com/leaguegamelog/2024-03-05/20240306T110000Z/bad name.json",
                            "nba_com/leaguegamelog/2024-03-05/.DS_Store"}
    assert store.list_since("nba_com/", None, 10)[0] == keys


def test_local_store_never_follows_or_reads_a_link(tmp_path: Path) -> None:
    store = LocalLandingStore(base_dir=str(tmp_path / "landing"))
    store.write_bytes("a/b/c.json", b"1")
    (tmp_path / "secret.txt").write_bytes(b"s")
    (tmp_path / "landing" / "a" / "b" / "link.json").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "landing" / "a" / "loop").symlink_to(tmp_path / "landing")
    keys, refused = store.scan("a/")
    assert keys == ["a/b/c.json"]
    assert set(refused) == {"a/b/link.json", "a/loop"}
    assert all("symbolic link" in r for r in refused.values())
    assert store.list_since("", None, 100)[0] == ["a/b/c.json"]
    assert store.list_keys("a/loop/") == []
    with pytest.raises(UnsafeKeyError, match="symbolic link"):
        store.read_bytes("a/b/link.json")
    with pytest.raises(UnsafeKeyError, match="symbolic link"):
        store.write_bytes("a/loop/a/b/c.json", b"through the loop")


def _manifest(complete: bool, payloads: int, expected: int | None = None) -> bytes:
    return json.dumps({"complete": complete, "payloads": payloads, "expected": expected,
                       "reason": "" if complete else "HttpFetchError: HTTP 500"}).encode()


def test_fetch_selection_skips_future_and_partial_fetches(store: LandingStore) -> None:
    base = "odds_api/event_odds_player_points/2024-03-05"
    for i in range(3):
        store.write_bytes(f"{base}/20240305T140000Z/e{i}.json", b"{}")
    store.write_bytes(f"{base}/20240305T140000Z/{MANIFEST_NAME}", _manifest(True, 3, 3))
    store.write_bytes(f"{base}/20240305T150000Z/e0.json", b"{}")  # half-failed, says so
    store.write_bytes(f"{base}/20240305T150000Z/{MANIFEST_NAME}", _manifest(False, 1))
    store.write_bytes(f"{base}/20240305T160000Z/e1.json", b"{}")  # no manifest, fewer files
    store.write_bytes(f"{base}/20990101T000000Z/e0.json", b"{}")  # a clock in the future
    store.write_bytes("odds_api/event_odds_player_points/README.txt", b"notes")
    now = datetime(2024, 3, 5, 23, 0, tzinfo=timezone.utc)
    selection = store.select_fetches("odds_api", "event_odds_player_points", [DAY], now)
    chosen = selection.chosen[DAY]
    assert chosen.fetched_at == "20240305T140000Z" and len(chosen.keys) == 3
    assert all(not k.endswith(MANIFEST_NAME) for k in chosen.keys)
    partial = "\n".join(selection.partial)
    assert (f"{base}/20240305T150000Z/: partial fetch (1 payload(s) landed: HttpFetchError"
            in partial)
    assert (f"{base}/20240305T160000Z/: partial fetch (1 payload(s), fewer than the 3 of the "
            "fetch 20240305T140000Z") in partial
    assert "in the future" in selection.skipped[f"{base}/20990101T000000Z/e0.json"]
    assert "not source/endpoint" in selection.skipped[
        "odds_api/event_odds_player_points/README.txt"]
    # A complete fetch as large as the last one replaces it, as "newest fetch wins" meant.
    for i in range(3):
        store.write_bytes(f"{base}/20240305T170000Z/e{i}.json", b"{}")
    later = store.select_fetches("odds_api", "event_odds_player_points", [DAY], now)
    assert later.chosen[DAY].fetched_at == "20240305T170000Z"
    # A date whose every fetch is partial still parses its largest one, and says so.
    store.write_bytes(f"{base}/20240305T170000Z/{MANIFEST_NAME}", _manifest(False, 3))
    store.write_bytes(f"{base}/20240305T140000Z/{MANIFEST_NAME}", _manifest(True, 4))
    worst = store.select_fetches("odds_api", "event_odds_player_points", [DAY], now)
    assert worst.chosen[DAY].fetched_at == "20240305T170000Z"
    assert any("parsed anyway" in p for p in worst.partial)
    assert any(f"{base}/20240305T160000Z/: partial fetch (1 payload(s) and no manifest" in p
               for p in worst.partial)
