"""``casekit ingest``, ``status`` and ``validate``: the corpus commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from casekit.case import load_case, load_manifest, unlisted_files
from casekit.cli.common import EXIT_FAILED, EXIT_OK, add_store, store_path
from casekit.errors import CasekitError, InputError, UsageError
from casekit.ingest import IngestReport, find_cases, ingest_case
from casekit.readers import read_document
from casekit.segment import segment_document
from casekit.store import Store, open_store


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add the corpus commands to the casekit parser."""
    ingest = commands.add_parser(
        "ingest", help="read, segment and store the documents of one or more cases",
        description="Read every document a case's manifest lists, split it into speaker "
                    "turns, paragraphs and sentences, and store it. Unchanged documents "
                    "are skipped; a failing document is reported and the rest still ingest.")
    ingest.add_argument("cases", nargs="*", metavar="CASE",
                        help="case folder (corpora/<case_id>) or case id")
    ingest.add_argument("--all", action="store_true",
                        help="ingest every case folder under --corpora")
    ingest.add_argument("--corpora", default="corpora", metavar="DIR",
                        help="where case folders live (default: corpora)")
    add_store(ingest)
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")

    status = commands.add_parser(
        "status", help="documents, segments and words per case and tranche",
        description="Show what the store holds: cases, and per tranche the documents, "
                    "turns, paragraphs, sentences and words.")
    status.add_argument("--case", metavar="CASE_ID", help="only this case")
    add_store(status)

    validate = commands.add_parser(
        "validate", help="check a case folder without storing anything",
        description="Check case.yaml and manifest.csv, and read and segment every document, "
                    "reporting every problem with file and line. Nothing is written.")
    validate.add_argument("cases", nargs="+", metavar="CASE",
                          help="case folder (corpora/<case_id>) or case id")
    validate.add_argument("--corpora", default="corpora", metavar="DIR",
                          help="where case folders live (default: corpora)")


def _case_dirs(names: Sequence[str], corpora: str) -> list[Path]:
    dirs = []
    for name in names:
        path = Path(name)
        if not path.is_dir() and (Path(corpora) / name).is_dir():
            path = Path(corpora) / name
        if not path.is_dir():
            raise UsageError(f"{name}: no such case folder (looked in . and {corpora}/)")
        dirs.append(path)
    return dirs


def _print_report(report: IngestReport) -> None:
    counts = report.counts()
    name = report.case_id or str(report.case_path)
    parts = [f"{counts.get(a, 0)} {a}" for a in ("added", "updated", "resegmented", "metadata",
                                                 "unchanged") if counts.get(a)]
    print(f"{name}: {len(report.outcomes)} documents ({', '.join(parts) or 'none'}), "
          f"{len(report.failures)} failed")
    if report.totals:
        t = report.totals
        print(f"  in store: {t['documents']} documents, {t['turns']:,} turns, "
              f"{t['paragraphs']:,} paragraphs, {t['sentences']:,} sentences, "
              f"{t['words']:,} words")
    for message in report.failures:
        print(f"  FAILED  {message}")
    for outcome in report.outcomes:
        for warning in outcome.warnings:
            print(f"  warning {outcome.file}: {warning}")
        if outcome.stale_codings:
            print(f"  STALE   {outcome.doc_id}: {outcome.stale_codings} coding(s) marked stale "
                  "because the text changed; review them with the coding tools")
    for file in report.unlisted:
        print(f"  note    {file} is in the case folder but not in manifest.csv")
    for doc_id in report.orphaned:
        print(f"  note    {doc_id} is in the store but no longer in manifest.csv (kept)")


def cmd_ingest(args: argparse.Namespace) -> int:
    """Run ``casekit ingest``; return the exit code."""
    if args.all:
        dirs = find_cases(args.corpora) + _case_dirs(args.cases, args.corpora)
        if not dirs:
            raise UsageError(f"{args.corpora}: no case folders (with case.yaml) found")
    elif args.cases:
        dirs = _case_dirs(args.cases, args.corpora)
    else:
        raise UsageError("name a case folder to ingest, or use --all")
    failed = False
    with Store(store_path(args)) as store:
        for case_dir in dirs:
            report = ingest_case(case_dir, store, progress=not args.quiet)
            _print_report(report)
            failed |= not report.ok
    return EXIT_FAILED if failed else EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """Run ``casekit status``; return the exit code."""
    with open_store(store_path(args)) as store:
        if args.case:
            store.require_case(args.case)
        cases = store.cases()
        if args.case:
            cases = cases[cases["case_id"] == args.case]
        if cases.empty:
            print("The store holds no cases yet (run 'casekit ingest').")
            return EXIT_OK
        table = store.status(args.case)
        codings = store.coding_summary(args.case)
        stale = int(codings["stale"].sum()) if len(codings) else 0
    print(f"Store: {store_path(args)}")
    for case in cases.itertuples():
        print(f"\n{case.case_id}: {case.title} ({case.documents} documents, "
              f"{case.words:,} words)")
        rows = table[table["case_id"] == case.case_id].drop(columns=["case_id"])
        total = rows[["documents", "turns", "paragraphs", "sentences", "words"]].sum()
        rows = pd.concat([rows, pd.DataFrame([{"tranche": "total", "label": "", **total}])])
        print(rows.to_string(index=False))
        coded = codings[codings["case_id"] == case.case_id].drop(columns=["case_id"])
        if len(coded):
            print("\ncodings:")
            print(coded.to_string(index=False))
    if stale:
        print(f"\n{stale} coding(s) are stale: their document's text changed since coding.")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Run ``casekit validate``; return the exit code."""
    failed = False
    for case_dir in _case_dirs(args.cases, args.corpora):
        problems: list[str] = []
        documents = words = 0
        try:
            case = load_case(case_dir)
            specs, row_errors = load_manifest(case)
        except InputError as exc:
            print(f"{case_dir}: INVALID\n  {exc}")
            failed = True
            continue
        problems += [str(e) for e in row_errors]
        for spec in specs:
            try:
                result = read_document(spec.path)
                seg = segment_document(result.text, kind=spec.kind, language=spec.language,
                                       pages=result.pages, reader_turns=result.turns)
            except CasekitError as exc:
                problems.append(str(exc))
                continue
            documents += 1
            words += sum(s.n_words for s in seg.of_kind("paragraph"))
            problems += [f"{spec.path}: warning: {w}" for w in result.warnings + seg.warnings
                         if w]
        errors = [p for p in problems if ": warning: " not in p]
        print(f"{case.id}: {'OK' if not errors else 'PROBLEMS'} "
              f"({documents} of {len(specs) + len(row_errors)} documents readable, "
              f"{words:,} words)")
        for problem in problems:
            print(f"  {problem}")
        for file in unlisted_files(case, specs):
            print(f"  note: {file} is not in manifest.csv")
        failed |= bool(errors)
    return EXIT_FAILED if failed else EXIT_OK




COMMANDS = {"ingest": cmd_ingest, "status": cmd_status, "validate": cmd_validate}
