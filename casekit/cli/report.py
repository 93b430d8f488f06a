"""``casekit report`` and ``casekit batch``: case reports as executed notebooks and HTML."""

from __future__ import annotations

import argparse
import os

from casekit.cli.common import EXIT_FAILED, EXIT_OK, add_store, store_path
from casekit.errors import CasekitError, UsageError


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="reports", metavar="DIR",
                        help="folder for the executed notebooks and HTML (default: reports)")
    parser.add_argument("--codebook", nargs="+", default=[], metavar="PATH",
                        help="codebook files the notebooks may load (default: the versions "
                             "stored with the codings)")
    parser.add_argument("--language", default="nb", choices=("nb", "nn", "en"),
                        help="language of code names and labels in the reports")
    parser.add_argument("--notebooks", metavar="DIR",
                        help="folder with case_report.ipynb and cross_case_report.ipynb "
                             "(default: ./notebooks, then casekit's own)")
    parser.add_argument("--timeout", type=int, metavar="SECONDS",
                        help="stop a notebook cell that runs longer than this")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_store(parser)


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add the report commands to the casekit parser."""
    report = commands.add_parser(
        "report", help="run the case report notebook for one case and render it as HTML",
        description="Execute notebooks/case_report.ipynb for a case with papermill and "
                    "render it with nbconvert: <out>/<case>.ipynb and <out>/<case>.html "
                    "(self-contained, code hidden). Exit 1 when the notebook fails (the "
                    "partly executed notebook is kept) or the case has no codings.")
    report.add_argument("case", metavar="CASE_ID")
    _add_common(report)

    batch = commands.add_parser(
        "batch", help="run every case report in parallel, the cross-case report and an index",
        description="Run the case report for each case in parallel worker processes (or on "
                    "a Dask cluster), then the cross-case report, and write <out>/index.html "
                    "listing every report with status, time, parameters and provenance. A "
                    "failing case is reported and the others complete (exit 1).")
    batch.add_argument("cases", nargs="*", metavar="CASE_ID", help="cases to report on")
    batch.add_argument("--all", action="store_true", help="every case in the store")
    batch.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="parallel worker processes (default: the number of cores)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="send the jobs to this Dask distributed scheduler instead "
                            "(e.g. tcp://scheduler.example.org:8786); workers must see "
                            "the same paths")
    batch.add_argument("--no-cross-case", action="store_true",
                       help="skip the cross-case report")
    _add_common(batch)


def cmd_report(args: argparse.Namespace) -> int:
    """Run ``casekit report``; return the exit code."""
    from casekit.batch import plan, run_jobs  # papermill and nbconvert load only when needed

    jobs = plan(store_path(args), [args.case], args.out, codebook_paths=args.codebook,
                language=args.language, cross_case=False, notebooks=args.notebooks,
                timeout=args.timeout)
    if jobs[0].problem:
        raise CasekitError(jobs[0].problem)  # no codings: exit 1 with the message
    result = run_jobs(jobs, workers=1, progress=not args.quiet)[0]
    if not result.ok:
        print(f"{result.name}: FAILED: {result.error}")
        if result.notebook:
            print(f"  partly executed notebook: {result.notebook}")
        return EXIT_FAILED
    print(f"{result.name}: ok ({result.seconds:.1f} s)\n  {result.notebook}\n  {result.html}")
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    """Run ``casekit batch``; return the exit code."""
    from casekit.batch import run_batch

    if args.cases and args.all:
        raise UsageError("name cases or use --all, not both")
    if not args.cases and not args.all:
        raise UsageError("name the cases to report on, or use --all")
    batch = run_batch(store_path(args), args.cases or None, args.out, workers=args.jobs,
                      scheduler=args.scheduler, codebook_paths=args.codebook,
                      language=args.language, cross_case=not args.no_cross_case,
                      notebooks=args.notebooks, timeout=args.timeout,
                      progress=not args.quiet)
    ok = sum(r.ok for r in batch.results)
    print(f"{ok} of {len(batch.results)} reports ok")
    for line in batch.summary_lines():
        print(line)
    print(f"Index: {batch.index}")
    return EXIT_OK if batch.ok else EXIT_FAILED


COMMANDS = {"report": cmd_report, "batch": cmd_batch}
