"""Batch runs: a report per case in parallel, the cross-case report, and an index page.

Jobs run in local worker processes (the default) or on an existing Dask distributed
cluster (``scheduler``). Each worker keeps one warm Jupyter kernel for all its reports.
A report that fails is recorded with its error and partly executed notebook while every
other report completes; ``reports/index.html`` lists them all with status, time,
parameters and provenance (casekit version, codebook versions and hashes, corpus
checksums), and ``reports/index.json`` holds the same for scripts.
"""

from __future__ import annotations

import atexit
import datetime as dt
import html
import json
import multiprocessing
import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

# Imported here although casekit.report imports them lazily (to keep report kernels light):
# local workers are forked from this process and start with them loaded.
import nbclient  # noqa: F401
import nbconvert  # noqa: F401
import papermill  # noqa: F401
from tqdm.auto import tqdm

import casekit
from casekit import __version__
from casekit.errors import UsageError
from casekit.provenance import software_versions
from casekit.report import (
    ReportJob,
    ReportResult,
    WarmKernel,
    case_provenance,
    check_case_ids,
    check_codings,
    job_parameters,
    load_codebooks,
    prepare_out_dir,
    render_report,
    run_report,
)
from casekit.store import open_store

CASE_NOTEBOOK = "case_report.ipynb"
CROSS_NOTEBOOK = "cross_case_report.ipynb"
CROSS_NAME = "cross_case_report"
SCHEDULER_TIMEOUT = "15s"  # how long to try to reach a Dask scheduler


def find_notebook(name: str, folder: str | Path | None = None) -> Path:
    """Return the path of a report notebook: in ``folder``, ./notebooks or casekit's own.

    Raises :class:`UsageError` when none is found.
    """
    places = [Path(folder)] if folder else [Path("notebooks"),
                                            Path(casekit.__file__).parent.parent / "notebooks"]
    for place in places:
        if (place / name).is_file():
            return (place / name).resolve()
    raise UsageError(f"{name}: report notebook not found (looked in "
                     f"{', '.join(str(p) for p in places)})")


@dataclass
class BatchResult:
    """What a batch did: one result per report (in job order) and the index page."""

    results: list[ReportResult]
    index: Path | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True when every report ran through."""
        return all(r.ok for r in self.results)

    def summary_lines(self) -> list[str]:
        """Return one line per report (status, name, seconds, error) for the terminal."""
        lines = []
        for r in self.results:
            if r.ok:
                lines.append(f"  ok      {r.name} ({r.seconds:.1f} s) -> {r.html}")
            else:
                kept = f" (partly executed notebook: {r.notebook})" if r.notebook else ""
                lines.append(f"  FAILED  {r.name}: {r.error}{kept}")
        return lines


def plan(store_path: str | Path, case_ids: Sequence[str] | None, out_dir: str | Path, *,
         codebook_paths: Sequence[str | Path] = (), language: str = "nb",
         cross_case: bool = True, notebooks: str | Path | None = None,
         timeout: int | None = None) -> list[ReportJob]:
    """Check the inputs and return the report jobs of a batch (cases, then cross-case).

    ``case_ids=None`` means every case in the store. Raises :class:`StoreError` for a
    missing store or an unknown case, :class:`UsageError` for a missing codebook file, a
    notebook that cannot be found or an output folder that cannot be written. A case
    with no codings gets a job that fails with that message, so the others still run.
    """
    case_nb = str(find_notebook(CASE_NOTEBOOK, notebooks))
    cross_nb = str(find_notebook(CROSS_NOTEBOOK, notebooks)) if cross_case else ""
    load_codebooks(codebook_paths)
    with open_store(store_path) as store:
        ids = list(case_ids) if case_ids is not None else store.case_ids()
        for case_id in ids:
            store.require_case(case_id)
        check_case_ids(ids)
        problems = {case_id: check_codings(store, case_id) for case_id in ids}
        cases = store.cases().set_index("case_id")
    titles, words = cases["title"].to_dict(), cases["words"].to_dict()
    if not ids:
        raise UsageError(f"{store_path}: the store holds no cases (run 'casekit ingest')")
    out = prepare_out_dir(out_dir)
    jobs = [ReportJob(case_id, case_nb, job_parameters(case_id, store_path, out, codebook_paths,
                                                       language),
                      str(out), title=f"{titles.get(case_id, case_id)} ({case_id})",
                      language=language, timeout=timeout, problem=problems[case_id],
                      weight=0 if problems[case_id] else int(words.get(case_id, 0)))
            for case_id in ids]
    if cross_case:
        reportable = [c for c in ids if not problems[c]]
        jobs.append(ReportJob(
            CROSS_NAME, cross_nb,
            job_parameters(reportable, store_path, out, codebook_paths, language),
            str(out), title="Cross-case report", language=language, timeout=timeout,
            problem="" if reportable else "no case has codings to compare",
            # It computes a few measures per case and draws few figures: about half an
            # average case report's work (measured on the demo), so it goes after the case
            # reports and fills the gap of whichever worker finishes first.
            weight=sum(int(words.get(c, 0)) for c in reportable)
            // max(1, 2 * len(reportable))))
    return jobs


# -- workers ------------------------------------------------------------------------------

class _KernelThread:
    """A thread that owns one warm kernel and runs report jobs in it.

    The thread is started inside the worker, so its asyncio loop and context are its
    own: a forked worker inherits the parent's event loop and context variables, which
    jupyter_client would otherwise reuse.
    """

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="casekit-kernel")
        self.kernel = WarmKernel()

    def run(self, job: ReportJob, render: bool) -> ReportResult:
        return self.executor.submit(run_report, job, self.kernel, render=render).result()

    def close(self) -> None:
        try:
            self.executor.submit(self.kernel.close).result(timeout=60)
        except RuntimeError:  # the interpreter is shutting down: close from here
            self.kernel.close()
        self.executor.shutdown(wait=False)


_local = threading.local()
_threads: list[_KernelThread] = []


def _close_kernels() -> None:
    while _threads:
        _threads.pop().close()


def run_in_worker(job: ReportJob, render: bool = True) -> ReportResult:
    """Run one job in this worker's warm kernel (one per calling thread); return its result.

    This is the function local worker processes and Dask workers call. The kernel is
    shut down when the worker process exits. ``render=False`` leaves the HTML to the
    caller (:func:`casekit.report.render_report`).
    """
    thread = getattr(_local, "thread", None)
    if thread is None:
        if not _threads:  # first kernel of this process: shut them down on exit
            atexit.register(_close_kernels)
            Finalize(None, _close_kernels, exitpriority=10)  # pool workers skip atexit
        thread = _local.thread = _KernelThread()
        _threads.append(thread)
    return thread.run(job, render)


def _failed(job: ReportJob, exc: BaseException) -> ReportResult:
    result = ReportResult(job.name, "failed", 0.0, dt.datetime.now(dt.UTC).isoformat(),
                          dict(job.parameters), error=f"worker failed: {type(exc).__name__}: "
                                                      f"{exc}"[:300])
    if job.executed_path.exists():
        result.notebook = str(job.executed_path)
    return result


def _heaviest_first(jobs: Sequence[ReportJob]) -> list[int]:
    """Return job indexes, heaviest first: the longest job starting last sets the wall time."""
    return sorted(range(len(jobs)), key=lambda i: -jobs[i].weight)


def _collect(futures: dict[Any, int], jobs: Sequence[ReportJob], completed: Any
             ) -> Iterator[tuple[int, ReportResult]]:
    for future in completed(futures):
        i = futures[future]
        try:
            yield i, future.result()
        except Exception as exc:  # a worker process that died takes only its job
            yield i, _failed(jobs[i], exc)


@contextmanager
def _local_pool(jobs: Sequence[ReportJob], workers: int
                ) -> Iterator[Iterator[tuple[int, ReportResult]]]:
    """Submit the jobs to local worker processes; yield their results as they finish.

    Workers only execute notebooks; this process renders their HTML in a thread, so a
    worker's kernel starts the next report while the page of the last one is written.
    """
    methods = multiprocessing.get_all_start_methods()
    # fork: workers start at once with papermill and nbconvert already imported. They
    # are forked on the first submit, before the render thread and the progress bar
    # start theirs.
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    done: queue.SimpleQueue[tuple[int, ReportResult]] = queue.SimpleQueue()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="casekit-render") as renderer:

        def render(i: int, result: ReportResult) -> None:
            done.put((i, render_report(jobs[i], result)))

        def executed(i: int, future: Future[ReportResult]) -> None:
            try:
                result = future.result()
            except Exception as exc:  # a worker process that died takes only its job
                done.put((i, _failed(jobs[i], exc)))
                return
            try:
                renderer.submit(render, i, result)
            except RuntimeError:  # the batch is being stopped: report it unrendered
                done.put((i, result))

        for i in _heaviest_first(jobs):
            pool.submit(run_in_worker, jobs[i], False).add_done_callback(partial(executed, i))
        yield (done.get() for _ in jobs)


@contextmanager
def _dask_pool(jobs: Sequence[ReportJob], scheduler: str
               ) -> Iterator[Iterator[tuple[int, ReportResult]]]:
    """Submit the jobs to a Dask distributed scheduler; yield their results as they finish."""
    from distributed import Client
    from distributed import as_completed as dask_completed

    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from exc
    with client:
        futures = {client.submit(run_in_worker, jobs[i], pure=False,
                                 priority=jobs[i].weight): i for i in _heaviest_first(jobs)}
        yield _collect(futures, jobs, dask_completed)


def run_jobs(jobs: Sequence[ReportJob], *, workers: int = 1, scheduler: str | None = None,
             progress: bool = True) -> list[ReportResult]:
    """Run report jobs in parallel; return their results in job order.

    Local worker processes (``workers`` of them, one warm kernel each) unless
    ``scheduler`` names a Dask distributed scheduler, whose workers then run the jobs
    (they must see the same store path and output folder).
    """
    if workers < 1:
        raise UsageError(f"--jobs must be at least 1 (got {workers})")
    results: list[ReportResult | None] = [None] * len(jobs)
    if not jobs:
        return []
    pool = (_dask_pool(jobs, scheduler) if scheduler
            else _local_pool(jobs, min(workers, len(jobs))))
    failed = 0
    with pool as stream, tqdm(total=len(jobs), desc="reports", unit="report",
                              disable=not progress or None) as bar:
        for i, result in stream:
            results[i] = result
            failed += not result.ok
            bar.set_postfix(failed=failed)
            bar.update()
    return [r for r in results if r is not None]


def run_batch(store_path: str | Path, case_ids: Sequence[str] | None = None,
              out_dir: str | Path = "reports", *, workers: int = 1,
              scheduler: str | None = None, codebook_paths: Sequence[str | Path] = (),
              language: str = "nb", cross_case: bool = True,
              notebooks: str | Path | None = None, timeout: int | None = None,
              progress: bool = True) -> BatchResult:
    """Run every case report and the cross-case report, then write the index page.

    Returns a :class:`BatchResult`; its ``ok`` is False when any report failed. Bad
    input raises as :func:`plan` says.
    """
    if workers < 1:
        raise UsageError(f"--jobs must be at least 1 (got {workers})")
    jobs = plan(store_path, case_ids, out_dir, codebook_paths=codebook_paths,
                language=language, cross_case=cross_case, notebooks=notebooks,
                timeout=timeout)
    results = run_jobs(jobs, workers=workers, scheduler=scheduler, progress=progress)
    batch = BatchResult(results, provenance=batch_provenance(store_path, jobs))
    batch.index = write_index(batch, jobs[0].out_dir)
    return batch


# -- index page ---------------------------------------------------------------------------

def batch_provenance(store_path: str | Path, jobs: Sequence[ReportJob]) -> dict[str, Any]:
    """Return the provenance of a batch: software, store, and each case's corpus and
    codebook versions."""
    cases = [j.name for j in jobs if "case_id" in j.parameters]
    with open_store(store_path) as store:
        per_case = {case_id: case_provenance(store, case_id) for case_id in cases}
    return {"casekit": __version__, "generated_at": dt.datetime.now().isoformat(
        timespec="seconds"), "store": str(Path(store_path).resolve()),
        "software": software_versions(), "cases": per_case}


def _e(value: Any) -> str:
    return html.escape(str(value))


def _parameters_html(parameters: dict[str, Any]) -> str:
    shown = {k: v for k, v in parameters.items() if k not in ("store_path", "output_dir")}
    items = "".join(f"<li><code>{_e(k)}</code> = {_e(json.dumps(v, ensure_ascii=False))}</li>"
                    for k, v in shown.items())
    return f'<ul class="params">{items}</ul>'


def _sha(value: str) -> str:
    return f'<code title="{_e(value)}">{_e(value[:12])}</code>' if value else ""


def _provenance_html(info: dict[str, Any] | None, result: ReportResult) -> str:
    if info is None:  # the cross-case report: the cases it compares
        return f"cases: {_e(', '.join(result.parameters.get('case_ids', []))) or '—'}"
    books = "".join(f"<li>{_e(b['codebook_id'])} {_e(b['version'] or '(manual)')} "
                    f"{_sha(b['sha256'])} · {int(b['codings']):,} codings</li>"
                    for b in info["codebooks"])
    return (f"{info['documents']} documents · corpus {_sha(info['corpus_sha256'])}"
            f" · case.yaml {_sha(info['case_yaml_sha256'])}"
            f"<ul class=\"books\">{books or '<li>no codings</li>'}</ul>")


def _link(path: str | None, out_dir: Path, label: str) -> str:
    if not path:
        return ""
    return f'<a href="{_e(Path(path).relative_to(out_dir).as_posix())}">{_e(label)}</a>'


_INDEX_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 75rem;
  padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .45rem .6rem; text-align: left;
  vertical-align: top; }
thead th { background: #f0f3f6; border-bottom: 2px solid #9aa7b3; }
.ok { color: #17692f; font-weight: 600; } .failed { color: #a61b1b; font-weight: 600; }
.error { color: #a61b1b; font-size: .85rem; }
ul { margin: 0; padding-left: 1rem; } code { font-size: .85em; }
.meta { color: #555; } details { margin-top: 2rem; }
"""


def index_html(batch: BatchResult, out_dir: str | Path) -> str:
    """Return the index page of a batch: one row per report, and the provenance."""
    out = Path(out_dir).resolve()
    prov = batch.provenance
    rows = []
    for r in batch.results:
        title = _link(r.html, out, r.name) or _e(r.name)
        files = " · ".join(x for x in (_link(r.html, out, "HTML"),
                                       _link(r.notebook, out, "notebook")) if x)
        error = f'<div class="error">{_e(r.error)}</div>' if r.error else ""
        rows.append(
            f'<tr class="report" data-name="{_e(r.name)}" data-status="{_e(r.status)}">'
            f"<td>{title}<div class=\"meta\">{files}</div></td>"
            f'<td><span class="{_e(r.status)}">{_e(r.status)}</span>{error}</td>'
            f"<td>{r.seconds:.1f} s<div class=\"meta\">{_e(r.started_at)}</div></td>"
            f"<td>{_parameters_html(r.parameters)}</td>"
            f"<td>{_provenance_html(prov.get('cases', {}).get(r.name), r)}</td></tr>")
    ok = sum(r.ok for r in batch.results)
    software = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>"
                       for k, v in prov.get("software", {}).items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>casekit reports</title><style>{_INDEX_CSS}</style></head>
<body><main>
<h1>Case reports</h1>
<p class="meta">{ok} of {len(batch.results)} reports ok · generated {_e(prov.get('generated_at',
    ''))} by casekit {_e(prov.get('casekit', __version__))} · store
<code>{_e(prov.get('store', ''))}</code></p>
<table><thead><tr><th>Report</th><th>Status</th><th>Time</th><th>Parameters</th>
<th>Provenance</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<details><summary>Software versions</summary>
<table><thead><tr><th>package</th><th>version</th></tr></thead><tbody>{software}</tbody></table>
</details>
</main></body></html>
"""


def write_index(batch: BatchResult, out_dir: str | Path) -> Path:
    """Write ``index.html`` and ``index.json`` for a batch into ``out_dir``; return the page."""
    out = Path(out_dir)
    data = {"provenance": batch.provenance, "reports": [r.as_dict() for r in batch.results]}
    (out / "index.json").write_text(json.dumps(data, ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    page = out / "index.html"
    page.write_text(index_html(batch, out), encoding="utf-8")
    return page

