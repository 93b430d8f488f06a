"""What every casekit command shares: exit codes and the --store option."""

from __future__ import annotations

import argparse
import os

from casekit.store import DEFAULT_STORE

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_store(parser: argparse.ArgumentParser) -> None:
    """Add the ``--store PATH`` option to a command."""
    parser.add_argument(
        "--store", default=None, metavar="PATH",
        help=f"project store file (default: $CASEKIT_STORE or ./{DEFAULT_STORE})")


def store_path(args: argparse.Namespace) -> str:
    """Return the store path a command should use: --store, $CASEKIT_STORE or the default."""
    return args.store or os.environ.get("CASEKIT_STORE", DEFAULT_STORE)
