"""Create every BigQuery dataset and table from `sql/` (idempotent: CREATE ... IF NOT EXISTS),
and add, NULLABLE, the columns a table made by an older DDL lacks (ALTER TABLE ADD COLUMN).

`python -m nba_pipeline.storage.apply_ddl --project my-project [--location US]`, or `--print`
to write the statements with the project filled in (for `bq query` or a review).
The IO manager also creates each table from the same DDL before its first write; applying the
DDL up front lets an admin create the tables with their own, broader permissions.
"""

from __future__ import annotations

import argparse
import os
import sys

from nba_pipeline.storage.bigquery_warehouse import (
    apply_ddl_with_columns,
    create_statement,
    make_client,
)
from nba_pipeline.storage.schema import load_schemas


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=os.environ.get("NBA_PIPELINE_GCP_PROJECT"),
                        help="GCP project (default: $NBA_PIPELINE_GCP_PROJECT)")
    parser.add_argument("--location", default=os.environ.get("NBA_PIPELINE_BQ_LOCATION"),
                        help="dataset location, e.g. US or EU (default: $NBA_PIPELINE_BQ_LOCATION)")
    parser.add_argument("--emulator-endpoint", default=os.environ.get("BIGQUERY_EMULATOR_HOST"),
                        help="a BigQuery emulator URL (tests); unset for real BigQuery")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print the statements instead of running them")


def run(args: argparse.Namespace) -> int:
    if not args.project:
        sys.stderr.write("apply-ddl: --project or NBA_PIPELINE_GCP_PROJECT is required\n")
        return 2
    schemas = load_schemas()
    if args.print_only:
        datasets = sorted({s.dataset for s in schemas.values()})
        statements = [f"CREATE SCHEMA IF NOT EXISTS `{args.project}.{d}`" for d in datasets]
        statements += [create_statement(schemas[n], args.project) for n in sorted(schemas)]
        sys.stdout.write(";\n\n".join(statements) + ";\n")
        return 0
    client = make_client(args.project, args.location, args.emulator_endpoint)
    applied = apply_ddl_with_columns(client, args.project)
    sys.stdout.write(f"applied {len(applied)} tables to {args.project}: "
                     f"{', '.join(name for name, _ in applied)}\n")
    for name, added in applied:
        if added:
            sys.stdout.write(f"added to {name}: {', '.join(added)}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nba_pipeline.storage.apply_ddl",
                                     description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
