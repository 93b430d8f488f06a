"""``casekit agree`` and ``casekit import codings``: intercoder agreement and manual codings."""

from __future__ import annotations

import argparse

import pandas as pd

from casekit.cli.common import EXIT_OK, add_store, store_path
from casekit.codings_io import import_codings
from casekit.reliability import UNITS, agreement_report
from casekit.store import open_store


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add the agreement and import commands to the casekit parser."""
    agree = commands.add_parser(
        "agree", help="intercoder agreement between coders (and the auto-coder)",
        description="Compare coders on a case: for each code, whether each coder put it on "
                    "each unit. Prints percent agreement, Cohen's kappa (two coders), "
                    "Fleiss' kappa and Krippendorff's alpha per code and overall, per "
                    "tranche and per coder pair; with 'auto' as a coder, the auto-coder's "
                    "precision, recall and F1 against each person; and the units where "
                    "coders differ.")
    agree.add_argument("case", metavar="CASE_ID")
    agree.add_argument("--coders", required=True, metavar="A,B[,C]",
                       help="coder names separated by commas; 'auto' is the auto-coder")
    agree.add_argument("--codebook", metavar="PATH",
                       help="codebook file (default: the one the coders used)")
    agree.add_argument("--unit", choices=UNITS, default="segment",
                       help="unit compared; 'segment' is each code's unit in the codebook")
    agree.add_argument("--codes", choices=("top", "all"), default="top",
                       help="compare top-level codes (a subcode counts for its logic) or "
                            "every code as coded (default: top)")
    agree.add_argument("--coded-only", action="store_true",
                       help="count only units that at least one coder coded")
    agree.add_argument("--disagreements", type=int, default=10, metavar="N",
                       help="how many disagreeing units to print (default 10, 0 for none)")
    add_store(agree)

    imp = commands.add_parser("import", help="import data into the store",
                              description="Import data made outside casekit into the store.")
    what = imp.add_subparsers(dest="action", metavar="WHAT")
    codings = what.add_parser(
        "codings", help="a coder's manual codings from a CSV file",
        description="Read a CSV of manual codings (doc_id, code_id, and start/end or an "
                    "exact quote; optional memo), check every row, then store them all as "
                    "the coder's accepted manual codings, replacing that coder's earlier "
                    "manual codings of the same codebook in the case. Nothing is stored "
                    "when a row is bad.")
    codings.add_argument("case", metavar="CASE_ID")
    codings.add_argument("file", metavar="FILE")
    codings.add_argument("--coder", required=True, metavar="NAME", help="whose codings")
    codings.add_argument("--codebook", metavar="PATH|ID",
                         help="codebook file or stored codebook id (default: the stored "
                              "codebook that knows every code in the file)")
    add_store(codings)


def _short(text: str, width: int = 60) -> str:
    """Return text on one line, cut to ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _print_table(title: str, frame: pd.DataFrame) -> None:
    print(f"\n{title}")
    if frame.empty:
        print("  (none)")
        return
    with pd.option_context("display.width", 200, "display.max_columns", None,
                           "display.float_format", "{:.3f}".format):
        print(frame.to_string(index=False))


def cmd_agree(args: argparse.Namespace) -> int:
    """Run ``casekit agree``; return the exit code."""
    coders = [c.strip() for c in args.coders.split(",")]
    with open_store(store_path(args)) as store:
        report = agreement_report(store, args.case, coders, codebook=args.codebook,
                                  unit=args.unit, coded_only=args.coded_only,
                                  depth=args.codes)
    print(report.statement)
    _print_table("Agreement per code (alpha per tranche and coder pair on the right)",
                 report.side_by_side)
    if len(report.coders) > 2:
        _print_table("Per coder pair", report.by_pair)
    if not report.validity.empty:
        _print_table("The auto-coder against each person (precision, recall, F1)",
                     report.validity)
    shown = report.disagreements.drop(columns=["start", "end"]).head(max(args.disagreements, 0))
    shown = shown.assign(text=shown["text"].map(_short))
    total = len(report.disagreements)
    if args.disagreements > 0:
        _print_table(f"Disagreements ({len(shown)} of {total} units)", shown)
    else:
        print(f"\n{total} units with disagreements")
    return EXIT_OK


def cmd_import_codings(args: argparse.Namespace) -> int:
    """Run ``casekit import codings``; return the exit code."""
    with open_store(store_path(args)) as store:
        result = import_codings(store, args.case, args.file, args.coder,
                                codebook=args.codebook)
    print(f"{result.path}: {result.added} codings by {result.coder} in {result.documents} "
          f"documents with {result.codebook_id} ({result.removed} earlier manual codings "
          "replaced)")
    return EXIT_OK


COMMANDS = {"agree": cmd_agree, "import": {"codings": cmd_import_codings}}
