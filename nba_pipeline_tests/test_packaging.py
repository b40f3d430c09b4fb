"""The install is reproducible (the lock agrees with setup.py and is what is installed) and the
wheel carries the files the package needs outside a checkout."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from nba_pipeline import paths

REPO = Path(__file__).resolve().parents[1]
LOCKS = {"main": REPO / "requirements" / "lock.txt",
         "bq-emulator": REPO / "requirements" / "bq-emulator.lock.txt"}


def setup_requirements() -> list[Requirement]:
    """install_requires and every extra, read from setup.py without running it."""
    tree = ast.parse((REPO / "setup.py").read_text())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, "id", "") == "setup")
    found: list[str] = []
    for keyword in call.keywords:
        if keyword.arg == "install_requires":
            found += ast.literal_eval(keyword.value)
        elif keyword.arg == "extras_require":
            for extra in ast.literal_eval(keyword.value).values():
                found += extra
    return [Requirement(r) for r in found]


def locked(lock: Path) -> dict[str, list[tuple[str, Marker | None, int]]]:
    """name -> [(version, marker, number of hashes)] from a `uv pip compile` lock."""
    pins: dict[str, list[tuple[str, Marker | None, int]]] = {}
    current = None
    for line in lock.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            spec, _, marker = line.rstrip(" \\").partition(";")
            name, _, version = spec.strip().partition("==")
            current = [version, Marker(marker.strip()) if marker.strip() else None, 0]
            pins.setdefault(canonicalize_name(name), []).append(current)
        elif current is not None and line.strip().startswith("--hash=sha256:"):
            current[2] += 1
    return {name: [tuple(p) for p in entries] for name, entries in pins.items()}


def test_every_setup_requirement_is_locked_within_its_range():
    pins = locked(LOCKS["main"])
    problems = []
    for req in setup_requirements():
        entries = pins.get(canonicalize_name(req.name))
        if not entries:
            problems.append(f"{req} is not in the lock")
            continue
        for version, _, _ in entries:
            if not req.specifier.contains(version, prereleases=True):
                problems.append(f"{req}: locked {version} is outside the range")
    assert not problems, "setup.py and requirements/lock.txt disagree (run `make lock`): " + \
        "; ".join(problems)


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_is_exact_and_hashed(lock):
    pins = locked(LOCKS[lock])
    assert len(pins) > 10
    unhashed = [name for name, entries in pins.items() for v, _, hashes in entries
                if not v or hashes == 0]
    assert not unhashed, f"{lock}: pins without a version or hash: {unhashed}"


def test_installed_versions_are_the_locked_ones():
    """What `make install` put in this venv is exactly the lock (for this interpreter)."""
    wrong = []
    for name, entries in locked(LOCKS["main"]).items():
        for version, marker, _ in entries:
            if marker is not None and not marker.evaluate():
                continue
            try:
                installed = metadata.version(name)
            except metadata.PackageNotFoundError:
                wrong.append(f"{name} not installed")
                continue
            if installed != version:
                wrong.append(f"{name} {installed} (lock {version})")
    assert not wrong, f"the venv differs from requirements/lock.txt (make install): {wrong}"


def test_checkout_paths_point_at_the_top_level_files():
    assert paths.checkout_root() == REPO
    assert paths.sql_dir() == REPO / "sql"
    assert paths.instance_template() == REPO / "dagster.yaml"
    assert paths.production_instance() == REPO / "deploy" / "dagster.prod.yaml"
    assert paths.recorded_data_dir().is_dir()


def test_paths_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "d"))
    monkeypatch.setenv("NBA_PIPELINE_DATA_DIR", str(tmp_path / "data"))
    assert (paths.local_home(), paths.dagster_home(), paths.recorded_data_dir()) == (
        tmp_path / "h", tmp_path / "d", tmp_path / "data")


@pytest.mark.slow
def test_wheel_ships_ddl_and_instance_template(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(REPO)], check=True)
    wheel = next(tmp_path.glob("nba_pipeline-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    ddl = {f"nba_pipeline/sql/{p.name}" for p in (REPO / "sql").glob("*.sql")}
    assert ddl and ddl <= names
    assert "nba_pipeline/dagster.yaml" in names
    assert "nba_pipeline/dagster.prod.yaml" in names
    assert not any(n.startswith(("nba_pipeline_tests/", "bench/")) for n in names)
