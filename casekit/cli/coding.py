"""``casekit codebook``, ``code`` and ``export``: the coding commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from casekit.cli.common import EXIT_FAILED, EXIT_OK, add_store, store_path
from casekit.codebook import Codebook, CodebookError, check
from casekit.coder import run_examples
from casekit.coding import code_case
from casekit.errors import UsageError
from casekit.export import FORMATS, codings_frame, write_table
from casekit.store import open_store


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add the coding commands to the casekit parser."""
    codebook = commands.add_parser(
        "codebook", help="check, show or test codebooks",
        description="Work with codebook files: validate them, print their code tree, or "
                    "run every must-match and must-not-match example as a test.")
    actions = codebook.add_subparsers(dest="action", metavar="ACTION")
    check_p = actions.add_parser(
        "check", help="validate codebooks, reporting problems with file:line:column",
        description="Validate codebook files: YAML syntax, keys, ids, parents, cycles, "
                    "regular expressions, token patterns, empty rules and colours.")
    check_p.add_argument("paths", nargs="+", metavar="PATH")
    show_p = actions.add_parser("show", help="print a codebook's code tree",
                                description="Print the code tree with units, rule counts "
                                            "and example counts.")
    show_p.add_argument("paths", nargs="+", metavar="PATH")
    show_p.add_argument("--language", default="nb", help="language of code names (nb, en)")
    test_p = actions.add_parser(
        "test", help="run every example of codebooks",
        description="Code every example text and report each must-match example that was "
                    "not coded and each must-not-match example that was, with what fired.")
    test_p.add_argument("paths", nargs="+", metavar="PATH")

    code = commands.add_parser(
        "code", help="auto-code cases with codebooks",
        description="Propose codings for every document of a case (origin auto, status "
                    "proposed) with the rule that fired. Unchanged documents are skipped; "
                    "earlier accept/reject decisions and manual codings are kept.")
    code.add_argument("cases", nargs="*", metavar="CASE_ID", help="cases to code")
    code.add_argument("--all", action="store_true", help="code every case in the store")
    code.add_argument("--codebook", nargs="+", required=True, metavar="PATH",
                      help="codebook files (e.g. codebooks/*.yaml)")
    code.add_argument("--include-interviewer", action="store_true",
                      help="also code the interviewer's turns (left out by default)")
    code.add_argument("--force", action="store_true",
                      help="code unchanged documents again")
    code.add_argument("--quiet", action="store_true", help="no progress bar")
    add_store(code)

    export = commands.add_parser("export", help="export codings as a table",
                                 description="Export data from the store as a table.")
    what = export.add_subparsers(dest="action", metavar="WHAT")
    codings = what.add_parser(
        "codings", help="one row per coding with code path, rule, text and metadata",
        description="One row per coding: doc_id, start, end, code_id, code_path, coder, "
                    "origin, status, rule, matched, text and the document's metadata.")
    codings.add_argument("case", metavar="CASE_ID")
    codings.add_argument("--format", choices=FORMATS, default=None,
                         help="csv, xlsx or parquet (default: from --out's extension)")
    codings.add_argument("--out", required=True, metavar="FILE")
    codings.add_argument("--codebook", metavar="ID", help="only this codebook's codings")
    codings.add_argument("--language", default="nb", help="language of code names")
    add_store(codings)


def _load(paths: list[str]) -> list[Codebook]:
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise UsageError(f"{', '.join(missing)}: no such codebook file")
    return [Codebook.load(p) for p in paths]


def cmd_check(args: argparse.Namespace) -> int:
    """Run ``casekit codebook check``; return the exit code."""
    failed = False
    for path in args.paths:
        if not Path(path).is_file():
            raise UsageError(f"{path}: no such codebook file")
        problems = check(path)
        if problems:
            failed = True
            for problem in problems:
                print(problem)
        else:
            codebook = Codebook.load(path)
            print(f"{path}: OK ({codebook.id} {codebook.version}, {len(codebook.codes)} "
                  f"codes, sha256 {codebook.sha256[:12]})")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """Run ``casekit codebook show``; return the exit code."""
    for codebook in _load(args.paths):
        print(codebook.tree(args.language))
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    """Run ``casekit codebook test``; return the exit code."""
    failed = False
    for codebook in _load(args.paths):
        run, failures = run_examples(codebook)
        print(f"{codebook.path}: {run - len(failures)} of {run} examples pass")
        for failure in failures:
            print(f"  FAIL {codebook.path}:{failure}")
        failed |= bool(failures)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_code(args: argparse.Namespace) -> int:
    """Run ``casekit code``; return the exit code."""
    if not args.cases and not args.all:
        raise UsageError("name the cases to code, or use --all")
    try:
        codebooks = _load(args.codebook)
    except CodebookError as exc:
        print(exc)
        return EXIT_FAILED
    failed = False
    with open_store(store_path(args)) as store:
        cases = store.case_ids() if args.all else args.cases
        for case_id in cases:
            store.require_case(case_id)
        for case_id in cases:
            report = code_case(store, case_id, codebooks,
                               include_interviewer=args.include_interviewer,
                               force=args.force, progress=not args.quiet)
            print(f"{case_id}: {report.documents} documents, {report.coded} coded, "
                  f"{report.skipped} unchanged, {len(report.failures)} failed")
            for codebook_id, counts in report.counts.items():
                print(f"  {codebook_id}: {counts['added']} new proposals, {counts['kept']} "
                      f"kept, {counts['reanchored']} decisions re-anchored, "
                      f"{counts['removed']} replaced")
            for message in report.failures:
                print(f"  FAILED  {message}")
            failed |= not report.ok
    return EXIT_FAILED if failed else EXIT_OK


def cmd_export_codings(args: argparse.Namespace) -> int:
    """Run ``casekit export codings``; return the exit code."""
    with open_store(store_path(args)) as store:
        frame = codings_frame(store, args.case, codebook_id=args.codebook,
                              language=args.language)
    path = write_table(frame, args.out, args.format)
    print(f"{path}: {len(frame)} codings")
    return EXIT_OK


COMMANDS = {
    "codebook": {"check": cmd_check, "show": cmd_show, "test": cmd_test},
    "code": cmd_code,
    "export": {"codings": cmd_export_codings},
}
