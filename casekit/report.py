"""One report: execute a parameterised notebook with papermill and render it as HTML.

A report notebook runs for a case with its parameters (papermill injects them after the
cell tagged ``parameters``) into ``<out>/<name>.ipynb``; nbconvert renders that into a
self-contained ``<out>/<name>.html`` for supervisors: code hidden, images embedded, no
script or style loaded from the network, a table of contents and readable tables. A
notebook that fails keeps its partly executed copy and the error; no HTML is left for it.

:class:`WarmKernel` keeps one Jupyter kernel for many notebooks, so a batch starts a
kernel and imports pandas, spaCy and casekit once per worker instead of once per report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from casekit import __version__
from casekit.codebook import Codebook, stored_codebook
from casekit.errors import InputError, UsageError
from casekit.provenance import sha256_text
from casekit.store import Store, open_store

if TYPE_CHECKING:
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

# papermill, nbformat, nbconvert and nbclient are imported where they are used: a report
# notebook imports this module for its provenance helpers, and those imports cost a
# kernel more than a second (nbformat's schema validation alone loads a grammar parser).

KERNEL = "python3"
RESERVED_NAMES = ("index", "cross_case_report")  # output names a case id must not take
NO_CODINGS = "case '{case_id}' has no codings"
NO_CODINGS_HINT = "run 'casekit code {case_id} --codebook codebooks/*.yaml' first"
_ENGINE = "casekit-warm"
EXECUTED = "executed"  # the status of a report between execution and rendering
# Report kernels compute on small frames, where one thread per math library (BLAS, Arrow
# via OMP_NUM_THREADS) is as fast as many; a batch runs a kernel per core, and more
# threads would only contend and spin. A value set in the environment wins.
KERNEL_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# Kept in the module (not a package data file): pyproject ships only the store's SQL.
_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style type="text/css">{{ resources.casekit_css }}</style>{% endblock %}
{%- block body_header -%}
<body class="jp-Notebook casekit-report" data-jp-theme-light="true"
 data-jp-theme-name="JupyterLab Light">
<!--casekit-toc-->
<main>
{%- endblock body_header -%}
{% block body_footer %}
<footer class="casekit-footer">{{ resources.casekit_footer }}</footer>
</main>
</body>
{% endblock body_footer %}
"""

_CSS = """
body.casekit-report { background: #fff; }
body.casekit-report main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
.casekit-report .jp-RenderedHTMLCommon table { border-collapse: collapse; margin: .5rem 0 1rem;
  font-size: .88rem; table-layout: auto; }
.casekit-report .jp-RenderedHTMLCommon th, .casekit-report .jp-RenderedHTMLCommon td {
  padding: .3rem .6rem; vertical-align: top; max-width: 26rem; white-space: normal;
  overflow-wrap: break-word; border-bottom: 1px solid #e2e2e2; }
.casekit-report .jp-RenderedHTMLCommon td.text { text-align: left; }
.casekit-report .jp-RenderedHTMLCommon thead th { background: #f0f3f6;
  border-bottom: 2px solid #9aa7b3; text-align: left; }
.casekit-report .jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: #fafbfc; }
.casekit-report .jp-OutputArea-output { display: block; overflow-x: auto; }
.casekit-report .jp-RenderedImage img { max-width: 100%; height: auto; }
nav.casekit-toc { font-size: .9rem; line-height: 1.45; padding: 1rem 1.5rem;
  border-bottom: 1px solid #ddd; background: #f7f8fa; }
nav.casekit-toc .toc-title { font-weight: 600; margin-bottom: .3rem; }
nav.casekit-toc ul { margin: 0; padding: 0; list-style: none; }
nav.casekit-toc li { margin: .15rem 0; }
nav.casekit-toc li.toc-h3 { margin-left: 1rem; font-size: .85rem; }
nav.casekit-toc a { color: #1a4f8b; text-decoration: none; }
@media (min-width: 1200px) {
  nav.casekit-toc { position: fixed; top: 0; left: 0; width: 15rem; height: 100vh;
    overflow-y: auto; border-bottom: 0; border-right: 1px solid #ddd; box-sizing: border-box; }
  body.casekit-report main { margin-left: 17rem; }
}
.casekit-footer { margin-top: 3rem; font-size: .8rem; color: #666; }
@media print { nav.casekit-toc { position: static; width: auto; height: auto; }
  body.casekit-report main { margin-left: auto; } }
"""

_TOC_LABEL = {"nb": "Innhold", "nn": "Innhald", "en": "Contents"}
_TEXT_CELL = re.compile(r"<td>(?![-+]?[\d.,\s%]*(?:e[-+]?\d+)?</td>|NaN</td>|None</td>)")
_HEADING = re.compile(r"<h([23]) id=\"([^\"]+)\"[^>]*>(.*?)</h\1>", re.DOTALL)


@dataclass(frozen=True)
class ReportJob:
    """One notebook to run: where it is, its parameters, and where its outputs go.

    ``name`` is the stem of the outputs (``<out_dir>/<name>.ipynb`` and ``.html``);
    ``timeout`` limits each cell in seconds (None: no limit).
    """

    name: str
    notebook: str
    parameters: dict[str, Any]
    out_dir: str
    title: str = ""
    language: str = "nb"
    timeout: int | None = None
    problem: str = ""  # set when the job must fail without running (e.g. no codings)
    weight: int = 0  # expected cost (words of material): heavier jobs start first

    @property
    def executed_path(self) -> Path:
        """Return the path of the executed notebook."""
        return Path(self.out_dir) / f"{self.name}.ipynb"

    @property
    def html_path(self) -> Path:
        """Return the path of the rendered HTML page."""
        return Path(self.out_dir) / f"{self.name}.html"


@dataclass
class ReportResult:
    """The outcome of a report job: status ``ok`` or ``failed``, time, files and error.

    (``executed`` while a batch has run the notebook but not yet rendered it.)
    """

    name: str
    status: str
    seconds: float
    started_at: str
    parameters: dict[str, Any] = field(default_factory=dict)
    notebook: str | None = None
    html: str | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        """Return True when the notebook ran through and its HTML was written."""
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-serialisable data."""
        return asdict(self)


@cache
def _warm_engine() -> type:
    """Return papermill's nbclient engine made to execute in an already running kernel,
    registered with papermill as ``casekit-warm``."""
    import nbformat
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class _WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str,
                                     log_output: bool = False, stdout_file: Any = None,
                                     stderr_file: Any = None, start_timeout: int = 60,
                                     execution_timeout: int | None = None,
                                     warm_kernel: WarmKernel | None = None,
                                     partial_path: str | None = None, **kwargs: Any) -> Any:
            assert warm_kernel is not None
            client = PapermillNotebookClient(
                nb_man, km=warm_kernel.km, timeout=execution_timeout,
                startup_timeout=start_timeout, kernel_name=kernel_name,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = warm_kernel.kc  # reuse the open channels: no new client per notebook
            try:
                return client.execute()
            except Exception:
                # A dead or hung kernel skips papermill's error handling: keep what ran.
                if partial_path:
                    nbformat.write(nb_man.nb, partial_path)
                raise

    papermill_engines.register(_ENGINE, _WarmEngine)
    return _WarmEngine


class WarmKernel:
    """One Jupyter kernel that executes many notebooks in turn.

    Before each notebook the kernel's namespace is cleared, figures are closed and the
    working folder is set, so a report sees no variable of the one before it; imported
    modules stay loaded, which is the point. A kernel that died or timed out is replaced.
    """

    def __init__(self, kernel_name: str = KERNEL) -> None:
        self.kernel_name = kernel_name
        self._client: NotebookClient | None = None

    @property
    def km(self) -> Any:
        """Return the kernel manager (starting the kernel if needed)."""
        return self._ensure().km

    @property
    def kc(self) -> Any:
        """Return the kernel client (starting the kernel if needed)."""
        return self._ensure().kc

    def _ensure(self) -> NotebookClient:
        import nbformat
        from jupyter_core.utils import run_sync
        from nbclient import NotebookClient

        if self._client is not None and run_sync(self._client.km.is_alive)():
            return self._client
        self.close()
        client = NotebookClient(nbformat.v4.new_notebook(), kernel_name=self.kernel_name,
                                extra_arguments=["--IPKernelApp.log_level=ERROR"])
        client.km = client.create_kernel_manager()
        client.start_new_kernel(env={**KERNEL_THREADS, **os.environ})
        client.start_new_kernel_client()
        self._client = client
        return client

    def reset(self, cwd: str | Path) -> None:
        """Clear the namespace, close figures and change to ``cwd`` before a notebook."""
        from jupyter_core.utils import run_sync

        # Like %reset -f, but without its full garbage collection (a third of a second
        # with pandas loaded): names and the output cache go, collection happens later.
        code = ("def _casekit_reset(ip, cwd):\n"
                "    import os, sys\n"
                "    ns = ip.user_ns\n"
                "    for name in [n for n in ns if not n.startswith('__')"
                " and n not in ip.user_ns_hidden]:\n"
                "        del ns[name]\n"
                "    ns['_oh'].clear()\n"
                "    os.chdir(cwd)\n"
                "    if 'matplotlib.pyplot' in sys.modules:\n"
                "        sys.modules['matplotlib.pyplot'].close('all')\n"
                "    ip.execution_count = 1\n"
                f"_casekit_reset(get_ipython(), {str(cwd)!r})\n")
        reply = run_sync(self.kc.execute_interactive)(
            code, silent=True, store_history=False, timeout=60, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError("the kernel could not be reset between notebooks")

    def close(self) -> None:
        """Shut the kernel down (a no-op when none is running)."""
        client, self._client = self._client, None
        if client is not None:
            # A kernel that is already gone needs no shutdown.
            with contextlib.suppress(Exception):
                client._cleanup_kernel()

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def execute(job: ReportJob, kernel: WarmKernel | None = None) -> Path:
    """Execute a job's notebook with papermill into its ``.ipynb``; return that path.

    With ``kernel`` the notebook runs in that warm kernel, else in a new one. Raises
    :class:`papermill.exceptions.PapermillExecutionError` when a cell fails (the partly
    executed notebook is written first).
    """
    import papermill

    if Path(job.notebook).resolve() == job.executed_path.resolve():
        raise UsageError(f"{job.notebook}: the report would overwrite its notebook")
    cwd = str(Path(job.notebook).resolve().parent)
    extra: dict[str, Any] = {}
    if kernel is not None:
        _warm_engine()  # registers the engine
        kernel.reset(cwd)
        extra = {"engine_name": _ENGINE, "warm_kernel": kernel,
                 "partial_path": str(job.executed_path)}
    # Saving after every cell costs a notebook write per cell; papermill still writes
    # the partly executed notebook when a cell fails, and the engine when a kernel dies.
    papermill.execute_notebook(
        job.notebook, str(job.executed_path), parameters=dict(job.parameters),
        kernel_name=KERNEL, progress_bar=False, cwd=cwd, execution_timeout=job.timeout,
        request_save_on_cell_execute=False, **extra)
    return job.executed_path


@lru_cache(maxsize=4)
def _exporter(language: str) -> HTMLExporter:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab", template_file="casekit_report.html.j2",
        extra_loaders=[DictLoader({"casekit_report.html.j2": _TEMPLATE})],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        embed_images=True, language_code=language if language in ("nb", "nn", "en") else "en")


def table_of_contents(body: str, language: str = "nb") -> str:
    """Return a ``<nav>`` listing the page's h2 and h3 headings as links."""
    items = []
    for level, anchor, inner in _HEADING.findall(body):
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        items.append(f'<li class="toc-h{level}"><a href="#{anchor}">{text}</a></li>')
    label = _TOC_LABEL.get(language, _TOC_LABEL["en"])
    return (f'<nav class="casekit-toc" aria-label="{label}"><div class="toc-title">{label}'
            f'</div><ul>{"".join(items)}</ul></nav>')


def render_html(notebook: str | Path, html_path: str | Path, *, title: str = "",
                language: str = "nb") -> Path:
    """Render an executed notebook as a self-contained HTML page; return its path.

    Code cells show their outputs only; images are embedded as data URIs; nothing is
    loaded from the network (no require.js, MathJax or widget scripts). Material text
    is escaped where it enters the page (pandas tables, printed text), while the
    notebook's own markdown stays rendered.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    resources = {"metadata": {"name": title or Path(notebook).stem},
                 "casekit_css": _CSS,
                 "casekit_footer": html.escape(
                     f"casekit {__version__} · rendered {dt.datetime.now():%Y-%m-%d %H:%M}")}
    body, _ = _exporter(language).from_notebook_node(nb, resources=resources)
    body = body.replace("<!--casekit-toc-->", table_of_contents(body, language), 1)
    # Numbers stay right-aligned in tables; text (quotes, titles) reads better from the left.
    body = _TEXT_CELL.sub('<td class="text">', body)
    path = Path(html_path)
    path.write_text(body, encoding="utf-8")
    return path


def _error_line(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        value = str(exc.evalue).strip().splitlines()[0] if exc.evalue else ""
        return f"{exc.ename}: {value} (cell [{exc.exec_count}])"[:300]
    return f"{type(exc).__name__}: {str(exc).strip()}"[:300]


def run_report(job: ReportJob, kernel: WarmKernel | None = None, *,
               render: bool = True) -> ReportResult:
    """Execute and render one report; return its :class:`ReportResult`. Never raises.

    A failure (a cell's error, a dead kernel, a time-out) gives status ``failed`` with
    the error, keeps the partly executed notebook and removes any older HTML of the
    same report, so no page from an earlier run passes for this one. With
    ``render=False`` the notebook is only executed (status ``executed``) and
    :func:`render_report` finishes it: a batch renders in its main process while the
    worker's kernel runs the next report.
    """
    from papermill.exceptions import PapermillExecutionError

    started, clock = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), time.perf_counter()
    result = ReportResult(job.name, "failed", 0.0, started, dict(job.parameters))
    job.html_path.unlink(missing_ok=True)
    if job.problem:
        result.error = job.problem
        return result
    try:
        result.notebook = str(execute(job, kernel))
        result.status = EXECUTED
    except Exception as exc:  # one report must never stop the batch
        result.error = _error_line(exc)
        if job.executed_path.exists():
            result.notebook = str(job.executed_path)
        if kernel is not None and not isinstance(exc, PapermillExecutionError):
            kernel.close()  # dead, hung or timed out: the next job gets a fresh kernel
    result.seconds = round(time.perf_counter() - clock, 2)
    return render_report(job, result) if render else result


def render_report(job: ReportJob, result: ReportResult) -> ReportResult:
    """Render the HTML page of an ``executed`` report; return the result, now ``ok`` or
    ``failed`` (with the error). Never raises; any other result is returned unchanged."""
    if result.status != EXECUTED:
        return result
    clock = time.perf_counter()
    try:
        result.html = str(render_html(job.executed_path, job.html_path, title=job.title,
                                      language=job.language))
        result.status = "ok"
    except Exception as exc:  # one report must never stop the batch
        result.status, result.error = "failed", _error_line(exc)
    result.seconds = round(result.seconds + time.perf_counter() - clock, 2)
    return result


# -- checks before running ---------------------------------------------------------------

def prepare_out_dir(path: str | Path) -> Path:
    """Create the output folder if needed and check it can be written; return it resolved.

    Raises :class:`UsageError` naming the folder when it cannot be created or written.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".casekit-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{folder}: cannot write reports to this folder "
                         f"({exc.strerror or exc})") from exc
    return folder.resolve()


def load_codebooks(paths: Sequence[str | Path]) -> list[Codebook]:
    """Load the codebooks a report is given; a missing file is a :class:`UsageError`."""
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise UsageError(f"{', '.join(missing)}: no such codebook file")
    return [Codebook.load(p) for p in paths]


def check_codings(store: Store, case_id: str) -> str:
    """Return why a case cannot be reported on (no codings), or "" when it can."""
    store.require_case(case_id)
    if store.coding_counts().get(case_id, 0):
        return ""
    return str(InputError(store.path, NO_CODINGS.format(case_id=case_id),
                          hint=NO_CODINGS_HINT.format(case_id=case_id)))


def check_case_ids(case_ids: Sequence[str]) -> None:
    """Raise :class:`UsageError` for a case id that would overwrite another output."""
    for case_id in case_ids:
        if case_id in RESERVED_NAMES:
            raise UsageError(f"case id '{case_id}' would overwrite {case_id}.html in the "
                             "reports folder; rename the case")


# -- provenance ---------------------------------------------------------------------------

def corpus_checksum(documents: pd.DataFrame) -> str:
    """Return one SHA-256 over a case's documents: each doc_id with its raw file's hash."""
    lines = sorted(f"{d}\t{h}" for d, h in zip(documents["doc_id"], documents["raw_sha256"],
                                                 strict=True))
    return sha256_text("\n".join(lines))


def case_provenance(store: Store, case_id: str) -> dict[str, Any]:
    """Return what a case's report rests on: documents, corpus and case.yaml checksums,
    and the codebook versions behind its codings (id, version, sha256, codings)."""
    docs = store.documents(case_id)
    source = store.case_sources(case_id)
    usage = store.codebook_usage(case_id)
    return {
        "case_id": case_id,
        "documents": len(docs),
        "corpus_sha256": corpus_checksum(docs),
        "case_yaml_sha256": source["yaml_sha256"].iloc[0] if len(source) else "",
        "codebooks": usage.drop(columns=["case_id"]).to_dict("records"),
    }


def provenance_frame(store_path: str | Path, case_ids: Sequence[str]) -> pd.DataFrame:
    """Return case provenance as a table (one row per case and codebook version), for a
    report's methods appendix."""
    rows = []
    with open_store(store_path) as store:
        for case_id in case_ids:
            info = case_provenance(store, case_id)
            base = {k: info[k] for k in ("case_id", "documents", "corpus_sha256",
                                         "case_yaml_sha256")}
            for book in info["codebooks"] or [{}]:
                rows.append({**base, **{f"codebook_{k}" if k != "codings" else k: v
                                        for k, v in book.items()}})
    return pd.DataFrame(rows)


def job_parameters(case_ids: Sequence[str] | str, store_path: str | Path,
                   out_dir: str | Path, codebook_paths: Sequence[str | Path] = (),
                   language: str = "nb", extra: Mapping[str, Any] | None = None
                   ) -> dict[str, Any]:
    """Return the papermill parameters of a report: one case id (a string) or several."""
    key = "case_id" if isinstance(case_ids, str) else "case_ids"
    params: dict[str, Any] = {
        key: case_ids if isinstance(case_ids, str) else list(case_ids),
        "store_path": str(Path(store_path).resolve()),
        "codebook_paths": [str(Path(p).resolve()) for p in codebook_paths],
        "output_dir": str(Path(out_dir).resolve()),
        "report_language": language,
    }
    params.update(extra or {})
    return params


# -- codebook review ----------------------------------------------------------------------

def review_codebooks(store: Store, paths: Sequence[str | Path] = ()) -> list[Codebook]:
    """Return the codebooks to review: loaded from ``paths``, or else the newest stored
    version of every codebook the store has used."""
    if paths:
        return load_codebooks(paths)
    ids = dict.fromkeys(store.codebooks()["codebook_id"])
    return [stored_codebook(store, codebook_id)[0] for codebook_id in ids]
