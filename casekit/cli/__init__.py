"""The ``casekit`` command: parses arguments and calls the API, nothing more.

Exit codes: 0 everything worked, 1 some inputs failed (reported), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from casekit import __version__
from casekit.cli import agree, coding, corpus, human, report
from casekit.cli.common import EXIT_FAILED, EXIT_USAGE
from casekit.errors import CasekitError, StoreError, UsageError

COMMANDS = {**corpus.COMMANDS, **coding.COMMANDS, **agree.COMMANDS, **human.COMMANDS,
            **report.COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every casekit command."""
    parser = argparse.ArgumentParser(
        prog="casekit",
        description="Qualitative case studies of public governance: ingest interview and "
                    "policy corpora into a project store, code them and report on them.",
        epilog="Exit codes: 0 ok, 1 some inputs failed, 2 usage error.")
    parser.add_argument("--version", action="version", version=f"casekit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    corpus.add_parsers(commands)
    coding.add_parsers(commands)
    agree.add_parsers(commands)
    human.add_parsers(commands)
    report.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``casekit`` command; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler = COMMANDS[args.command]
    if isinstance(handler, dict):  # a command group such as `casekit codebook check`
        if getattr(args, "action", None) is None:
            parser.parse_args([args.command, "--help"])
        handler = handler[args.action]
    try:
        return handler(args)
    except (UsageError, StoreError) as exc:
        print(f"casekit {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CasekitError as exc:
        print(f"casekit {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
