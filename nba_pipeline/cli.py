"""`nba-pipeline`: the command-line entry point. Each subcommand lives in nba_pipeline/commands/."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from nba_pipeline.hygiene import install_stop_handlers, received_signal

# Subcommand name -> module in nba_pipeline.commands exposing `add_arguments(parser)` and
# `run(args) -> int`. Add a command by adding its module here.
COMMANDS: dict[str, str] = {
    "demo": "demo",
    "backfill": "backfill",
    "health": "health",
    "model-report": "model_report",
    "apply-ddl": "apply_ddl",
    "init-home": "init_home",
    "dev-postgres": "dev_postgres",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nba-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"nba_pipeline.commands.{module_name}")
        sub_parser = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand. SIGTERM (a container stop) takes Ctrl-C's path: the run in progress is
    interrupted, marked failed, its pool slots freed, and the command exits 128+signal."""
    args = build_parser().parse_args(argv)
    install_stop_handlers()
    try:
        code = int(args._module.run(args) or 0)
        signum = received_signal()
    except KeyboardInterrupt:
        code, signum = 1, received_signal() or signal.SIGINT
    except SystemExit as exc:
        # a command stopping on the failed run an interrupt caused (`demo`): say why, then exit
        if received_signal() is None:
            raise
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code, signum = 1, received_signal()
    if signum is None:
        return code
    name = signal.Signals(signum).name
    print(f"nba-pipeline {args.command}: stopped by {name}; the run in progress was marked "
          "failed and its pool slots freed. Run the same command again to finish (writes "
          "replace whole partitions).", file=sys.stderr)
    return 128 + signum


if __name__ == "__main__":
    sys.exit(main())
