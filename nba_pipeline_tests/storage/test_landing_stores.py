"""One contract, two landing stores: a local folder and a GCS bucket (fake-gcs-server)."""

import threading
from pathlib import Path

import pytest

from nba_pipeline.storage.gcs_landing import GCSLandingStore
from nba_pipeline.storage.landing import LandingStore, LocalLandingStore
from nba_pipeline_tests.emulators import CloudEmulators

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


@pytest.fixture(params=["local", "gcs"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> LandingStore:
    if request.param == "local":
        return LocalLandingStore(base_dir=str(tmp_path / "landing"))
    emulators: CloudEmulators = request.getfixturevalue("emulators")
    bucket = request.getfixturevalue("bucket")
    return GCSLandingStore(bucket=bucket, prefix="landing", project=emulators.project,
                           emulator_endpoint=emulators.gcs.endpoint)


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
