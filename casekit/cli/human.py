"""``casekit sheet export`` and ``sheet import``: coding in a spreadsheet."""

from __future__ import annotations

import argparse
import sys

from casekit.cli.common import EXIT_FAILED, EXIT_OK, add_store, store_path
from casekit.sheets import UNITS, SheetError, export_sheet, import_sheet
from casekit.store import open_store

MAX_PROBLEMS = 50  # a sheet of the wrong coder fails on every row; the first rows tell it


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add the spreadsheet commands to the casekit parser."""
    sheet = commands.add_parser(
        "sheet", help="code a case in a spreadsheet (export, then import)",
        description="Round trip for coders who prefer a spreadsheet: export one row a "
                    "segment with its text and the auto proposals, fill in the columns "
                    "accept, reject, codes and memo, and import it back.")
    actions = sheet.add_subparsers(dest="action", metavar="ACTION")
    export = actions.add_parser(
        "export", help="write a coding sheet for a case and coder",
        description="Write one row a segment: its text and metadata, the codebook's auto "
                    "proposals, and empty columns accept, reject (code ids of proposals), "
                    "codes (code ids for the whole segment) and memo. An .xlsx sheet also "
                    "lists the codebook's codes.")
    export.add_argument("case", metavar="CASE_ID")
    export.add_argument("--coder", required=True, metavar="NAME", help="who codes the sheet")
    export.add_argument("--out", required=True, metavar="FILE", help="FILE.xlsx or FILE.csv")
    export.add_argument("--codebook", metavar="ID|PATH",
                        help="codebook id in the store or codebook file (default: the "
                             "store's only codebook)")
    export.add_argument("--unit", choices=UNITS, default="paragraph",
                        help="one row per paragraph (default), turn or sentence")
    export.add_argument("--language", default="nb", help="language of code names (nb, en)")
    add_store(export)
    imp = actions.add_parser(
        "import", help="read a coded sheet back into the store",
        description="Check every row first (unknown codes, segments whose id or text "
                    "changed since the export, repeated rows, rows of another coder), then "
                    "store all rows in one transaction, or none. Rows already imported are "
                    "not stored twice.")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--coder", required=True, metavar="NAME",
                     help="who coded the sheet (must match its coder column)")
    add_store(imp)


def cmd_export(args: argparse.Namespace) -> int:
    """Run ``casekit sheet export``; return the exit code."""
    with open_store(store_path(args)) as store:
        path, rows = export_sheet(store, args.case, args.out, coder=args.coder,
                                  codebook=args.codebook, unit=args.unit,
                                  language=args.language)
    print(f"{path}: {rows} segments for {args.coder.strip()}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Run ``casekit sheet import``; return the exit code."""
    with open_store(store_path(args)) as store:
        try:
            report = import_sheet(store, args.file, coder=args.coder)
        except SheetError as exc:
            print(f"{exc.path}: {len(exc.problems)} problem(s); nothing was imported",
                  file=sys.stderr)
            for problem in exc.problems[:MAX_PROBLEMS]:
                print(f"  {problem}", file=sys.stderr)
            if len(exc.problems) > MAX_PROBLEMS:
                print(f"  ... and {len(exc.problems) - MAX_PROBLEMS} more", file=sys.stderr)
            return EXIT_FAILED
    print(report.summary())
    return EXIT_OK


COMMANDS = {"sheet": {"export": cmd_export, "import": cmd_import}}
