"""Report batch speed against bare papermill runs, in one run. Prints one JSON object.

    .venv/bin/python benchmarks/bench_reports.py [--store casekit.db] [--corpora corpora]
                                                 [--repeat N]

Without ``--store`` every demo case under ``--corpora`` is ingested and coded with the
shipped codebooks into a temporary store first (not timed). Then, on the same machine:

- ``batch_1job_s``: ``casekit batch --all --jobs 1`` (every case report and the
  cross-case report, executed and rendered, plus the index page), wall time;
- ``batch_2jobs_s``: the same with two worker processes;
- ``bare_s``: as many bare papermill runs of a one-cell notebook, each rendered with
  nbconvert's HTML exporter, one after another: the floor of any papermill batch;
- ``reports``: how many reports the batch made (and ``failed``: how many failed);
- ``report_cells_s``: the time the 1-job batch's notebooks spent in their own cells
  (analyses, tables, figures, imports), as papermill records it, and
  ``batch_1job_overhead_s`` the rest of the batch's wall time: starting the kernel,
  papermill, rendering HTML, the index page. ``overhead_over_bare`` compares that
  machinery with the bare runs, which do no work at all.

With ``--repeat N`` each measurement runs N times and the best (lowest) wall time counts,
which takes out some of the noise of a shared machine; ``*_cpu_s`` give the CPU seconds
(this process and its workers and kernels) of that best run, and ``load`` the load average
before the runs.

Targets: ``batch_1job_s`` at most 1.5x ``bare_s``; ``batch_2jobs_s`` at least 1.5x
faster than ``batch_1job_s`` on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from casekit.batch import run_batch  # noqa: E402
from casekit.codebook import Codebook  # noqa: E402
from casekit.coding import code_case  # noqa: E402
from casekit.ingest import find_cases, ingest_case  # noqa: E402
from casekit.store import Store  # noqa: E402


def build_store(path: Path, corpora: Path) -> None:
    """Ingest every case under ``corpora`` and code it with the shipped codebooks."""
    codebooks = [Codebook.load(p) for p in sorted((REPO / "codebooks").glob("*.yaml"))]
    with Store(path) as store:
        for case_dir in find_cases(corpora):
            report = ingest_case(case_dir, store, progress=False)
            code_case(store, report.case_id, codebooks, progress=False)


def cpu_seconds() -> float:
    """Return the CPU time of this process and of every finished child (and theirs)."""
    own, children = (resource.getrusage(resource.RUSAGE_SELF),
                     resource.getrusage(resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, float]:
    """Return (wall, cpu) seconds of the fastest of ``repeat`` calls of ``run()``."""
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        cpu, start = cpu_seconds(), time.perf_counter()
        run()
        best = min(best, (time.perf_counter() - start, cpu_seconds() - cpu))
    return best


def bare_runs(count: int, folder: Path) -> float:
    """Return the wall time of ``count`` bare papermill runs plus HTML, one after another."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "language": "python", "display_name": "Python 3"}})
    nb.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    source = folder / "bare.ipynb"
    nbformat.write(nb, source)
    start = time.perf_counter()
    for i in range(count):
        executed = folder / f"bare_{i}.ipynb"
        papermill.execute_notebook(str(source), str(executed), progress_bar=False)
        body, _ = HTMLExporter(template_name="lab").from_filename(str(executed))
        (folder / f"bare_{i}.html").write_text(body, encoding="utf-8")
    return time.perf_counter() - start


def timed_batch(store: Path, out: Path, workers: int) -> tuple[float, int, int]:
    """Return (wall time, reports, failed) of a whole batch with ``workers`` processes."""
    start = time.perf_counter()
    result = run_batch(store, None, out, workers=workers, progress=False)
    seconds = time.perf_counter() - start
    return seconds, len(result.results), sum(not r.ok for r in result.results)


def cell_seconds(folder: Path) -> float:
    """Return the seconds the executed notebooks in ``folder`` spent in their cells (as
    papermill records them): the reports' own work, whatever runs them."""
    return sum(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0
               for path in folder.glob("*.ipynb")
               for cell in nbformat.read(path, as_version=4).cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="an ingested and coded store to use")
    parser.add_argument("--corpora", type=Path, default=REPO / "corpora")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_reports_") as tmp:
        folder = Path(tmp)
        store = args.store
        if store is None:
            store = folder / "bench.db"
            build_store(store, args.corpora)
        counts: dict[str, int] = {}
        cells: list[float] = []

        def batch(workers: int) -> None:
            _, counts["reports"], counts["failed"] = timed_batch(
                store, folder / f"jobs{workers}", workers=workers)
            if workers == 1:
                cells.append(cell_seconds(folder / "jobs1"))

        one, one_cpu = best_of(args.repeat, lambda: batch(1))
        two, two_cpu = best_of(args.repeat, lambda: batch(2))
        bare, bare_cpu = best_of(args.repeat, lambda: bare_runs(counts["reports"], folder))
    print(json.dumps({
        "reports": counts["reports"],
        "failed": counts["failed"],
        "batch_1job_s": round(one, 2),
        "batch_2jobs_s": round(two, 2),
        "bare_s": round(bare, 2),
        "batch_1job_over_bare": round(one / bare, 2),
        "report_cells_s": round(min(cells), 2),
        "batch_1job_overhead_s": round(one - min(cells), 2),
        "overhead_over_bare": round((one - min(cells)) / bare, 2),
        "speedup_2jobs": round(one / two, 2),
        "batch_1job_cpu_s": round(one_cpu, 2),
        "batch_2jobs_cpu_s": round(two_cpu, 2),
        "bare_cpu_s": round(bare_cpu, 2),
        "repeat": args.repeat,
        "load": round(load, 2),
        "cores": os.cpu_count(),
    }, indent=1))


if __name__ == "__main__":
    main()
