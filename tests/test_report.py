"""One report: papermill execution, warm kernels, HTML rendering, checks and provenance."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from casekit.cli import main
from casekit.errors import UsageError
from casekit.ingest import ingest_case
from casekit.report import (
    ReportJob,
    WarmKernel,
    case_provenance,
    check_codings,
    corpus_checksum,
    job_parameters,
    load_codebooks,
    prepare_out_dir,
    render_html,
    run_report,
    table_of_contents,
)
from casekit.store import Store, open_store
from tests.conftest import CASE_YAML, INTERVIEW, POLICY, REPO, row, write_manifest

# Material that must render as text in a report, never run.
HOSTILE = ('Vi skrev <script>window.__pwned = 1</script> og '
           '<img src=x onerror="window.__pwned = 2"> i referatet.')
INTERVIEW_TEXT = INTERVIEW + f"\n[00:02:00] Kari Nilsen: {HOSTILE}\n"
# (doc_id, passage, code): four codings per coded case.
CODINGS = [("int1", "Kommunene stoler på hverandre.", "NPG"),
           ("int1", "Det er samskaping.", "SAMSKAPING"),
           ("int1", HOSTILE, "SAMSKAPING"),
           ("pol1", "Målet er effektive tjenester.", "NPM")]


def build_store(root: Path, coded: tuple[str, ...] = ("alpha",),
                uncoded: tuple[str, ...] = ()) -> Path:
    """Ingest small cases into root/store.db; give each ``coded`` case the four CODINGS."""
    db = root / "store.db"
    with Store(db) as store:
        for case_id in (*coded, *uncoded):
            folder = root / "corpora" / case_id
            folder.mkdir(parents=True)
            (folder / "case.yaml").write_text(CASE_YAML.format(case_id=case_id),
                                              encoding="utf-8")
            (folder / "intervju.txt").write_text(INTERVIEW_TEXT, encoding="utf-8")
            (folder / "strategi.md").write_text(POLICY, encoding="utf-8")
            write_manifest(folder, [
                row("int1", "intervju.txt", kind="interview", actor_role="network"),
                row("pol1", "strategi.md", tranche="municipality", municipality="Havvik",
                    actor_role="administration")])
            assert ingest_case(folder, store, progress=False).ok
            if case_id in coded:
                for doc_id, passage, code in CODINGS:
                    start = store.document_text(case_id, doc_id).index(passage)
                    store.add_coding(case_id, doc_id, start, start + len(passage),
                                     codebook_id="test", code_id=code, coder="kari")
    return db


def write_notebook(path: Path, *sources: str) -> Path:
    """Write a notebook: a title, a parameters cell, then one code cell per source."""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}})
    params = new_code_cell('case_id = "x"\nstore_path = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# Test report\n\n## Section one"), params,
                *[new_code_cell(s) for s in sources]]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def outputs(notebook: Path, source_start: str) -> str:
    """Return the text/plain outputs of the code cell whose source starts as given."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(source_start):
            return "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                           for o in cell.outputs)
    raise AssertionError(f"no cell starts with {source_start!r}")


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("report"), coded=("alpha",), uncoded=("empty",))


@pytest.fixture(scope="module")
def case_report(coded: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    job = ReportJob("alpha", str(REPO / "notebooks" / "case_report.ipynb"),
                    job_parameters("alpha", coded, out), str(out), title="Alpha")
    return run_report(job)


def test_case_report_runs_and_shows_the_codings(case_report):
    assert case_report.ok, case_report.error
    notebook = Path(case_report.notebook)
    # The logics of the case: NPG and NPM in one sentence each, SAMSKAPING in two, of 13
    # sentences (68 words) without the interviewer's.
    logics = outputs(notebook, "frequencies = analysis.frequencies")
    assert logics.split()[5:] == ["code", "NPG", "1", "1", "1", "0.077", "14.706",
                                  "NPM", "1", "1", "1", "0.077", "14.706",
                                  "SAMSKAPING", "2", "2", "1", "0.154", "29.412"]
    provenance = outputs(notebook, 'pd.DataFrame(sources["codebooks"]')
    # One codebook, "test", no version or hash (manual codings only), four codings.
    assert provenance.split() == ["codebook_id", "version", "sha256", "codings", "0", "test",
                                  "4"]


def test_case_report_html_is_self_contained_with_code_hidden(case_report):
    page = Path(case_report.html).read_text(encoding="utf-8")
    assert "<script" not in page  # no require.js, MathJax or widget loader, no material
    assert 'src="http' not in page and 'href="http' not in page
    assert 'src="data:image/png;base64,' in page  # the figure is embedded
    assert 'class="jp-CodeMirrorEditor' not in page and 'class="jp-InputPrompt' not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert '<nav class="casekit-toc" aria-label="Innhold">' in page
    for anchor in ("#Material", "#Logic-profile-by-tranche", "#Exemplary-quotes",
                   "#Methods-appendix"):
        assert f'href="{anchor}"' in page
    assert "<title>Alpha</title>" in page


def test_table_of_contents_lists_h2_and_h3_without_anchor_marks():
    body = ('<h1 id="T">T</h1><h2 id="A-b">A &amp; b<a class="anchor-link" href="#A-b">¶</a>'
            '</h2><h3 id="C">C</h3><h4 id="D">D</h4>')
    assert table_of_contents(body, "en") == (
        '<nav class="casekit-toc" aria-label="Contents"><div class="toc-title">Contents</div>'
        '<ul><li class="toc-h2"><a href="#A-b">A &amp; b</a></li>'
        '<li class="toc-h3"><a href="#C">C</a></li></ul></nav>')


def test_failing_notebook_keeps_its_partial_notebook_and_error(tmp_path):
    notebook = write_notebook(tmp_path / "nb" / "fails.ipynb", "print('first part ran')",
                              "raise ValueError('deliberate failure')", "print('never')")
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.html").write_text("an older page")
    job = ReportJob("r", str(notebook), {"case_id": "alpha"}, str(out))
    result = run_report(job)
    assert result.status == "failed"
    # cells: parameters [1], injected parameters [2], print [3], raise [4]
    assert result.error == "ValueError: deliberate failure (cell [4])"
    assert not (out / "r.html").exists()  # no stale page passes for this run
    assert result.notebook == str(out / "r.ipynb")
    assert "first part ran" in outputs(out / "r.ipynb", "print('first")
    assert outputs(out / "r.ipynb", "print('never')") == ""


def test_warm_kernel_isolates_notebooks_and_survives_a_dead_kernel(tmp_path):
    (tmp_path / "out").mkdir()
    first = write_notebook(tmp_path / "a.ipynb", "leak = 41\nimport json")
    second = write_notebook(tmp_path / "b.ipynb",
                            "assert 'leak' not in globals() and 'json' not in globals()\n"
                            "import os, sys\nprint(os.getcwd(), 'json' in sys.modules)")
    dies = write_notebook(tmp_path / "c.ipynb", "import os\nos._exit(3)")
    out = tmp_path / "out"
    with WarmKernel() as kernel:
        results = [run_report(ReportJob(nb.stem, str(nb), {}, str(out)), kernel)
                   for nb in (first, second, dies, second)]
    assert [r.status for r in results] == ["ok", "ok", "failed", "ok"]
    assert "DeadKernelError" in results[2].error
    assert outputs(out / "b.ipynb", "assert") == f"{tmp_path} True\n"  # the notebook's folder
    cells = nbformat.read(out / "b.ipynb", as_version=4).cells
    assert [c.execution_count for c in cells if c.cell_type == "code"] == [1, 2]


def test_a_cell_over_the_time_limit_fails_and_the_kernel_is_replaced(tmp_path):
    slow = write_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)")
    quick = write_notebook(tmp_path / "quick.ipynb", "print('fresh kernel')")
    out = tmp_path / "out"
    out.mkdir()
    with WarmKernel() as kernel:
        timed_out = run_report(ReportJob("slow", str(slow), {}, str(out), timeout=2), kernel)
        after = run_report(ReportJob("quick", str(quick), {}, str(out)), kernel)
    assert timed_out.status == "failed" and timed_out.error.startswith("CellTimeoutError")
    assert timed_out.seconds < 30 and timed_out.notebook == str(out / "slow.ipynb")
    assert after.ok and outputs(out / "quick.ipynb", "print") == "fresh kernel\n"


def test_a_report_never_overwrites_its_notebook(tmp_path):
    notebook = write_notebook(tmp_path / "same.ipynb", "1")
    result = run_report(ReportJob("same", str(notebook), {}, str(tmp_path)))
    assert result.status == "failed"
    assert result.error == f"UsageError: {notebook}: the report would overwrite its notebook"
    assert nbformat.read(notebook, as_version=4).cells[2].outputs == []


def test_render_html_escapes_printed_material(tmp_path):
    notebook = write_notebook(tmp_path / "p.ipynb", f"print({HOSTILE!r})")
    (tmp_path / "nb").mkdir()
    job = ReportJob("p", str(notebook), {}, str(tmp_path / "nb"))
    assert run_report(job).ok
    page = render_html(job.executed_path, tmp_path / "p.html", language="en").read_text(
        encoding="utf-8")
    assert "&lt;img src=x onerror=" in page and "<img src=x" not in page


def test_corpus_checksum_is_order_independent():
    import pandas as pd

    docs = pd.DataFrame({"doc_id": ["b", "a"], "raw_sha256": ["22", "11"]})
    # sha256 of "a\t11\nb\t22"
    expected = "35c85bfb94b908ef8c7be43349b78f53e3ddc7a296f76263751705e3604181d9"
    assert corpus_checksum(docs) == corpus_checksum(docs.iloc[::-1]) == expected


def test_provenance_names_documents_and_codebooks(coded: Path):
    with open_store(coded) as store:
        info = case_provenance(store, "alpha")
        usage = store.codebook_usage()
        counts = store.coding_counts()
    assert info["documents"] == 2 and len(info["case_yaml_sha256"]) == 64
    assert info["codebooks"] == [{"codebook_id": "test", "version": "", "sha256": "",
                                  "codings": 4}]
    assert usage[["case_id", "codings"]].values.tolist() == [["alpha", 4]]
    assert counts == {"alpha": 4, "empty": 0}


def test_check_codings_and_inputs(coded: Path, tmp_path: Path):
    with open_store(coded) as store:
        assert check_codings(store, "alpha") == ""
        assert check_codings(store, "empty") == (
            f"{coded}: case 'empty' has no codings "
            "(run 'casekit code empty --codebook codebooks/*.yaml' first)")
    with pytest.raises(UsageError, match="nope.yaml: no such codebook file"):
        load_codebooks([tmp_path / "nope.yaml"])
    assert prepare_out_dir(tmp_path / "a" / "b") == (tmp_path / "a" / "b").resolve()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="cannot write reports to this folder"):
        prepare_out_dir(tmp_path / "file" / "reports")


# -- the command line ---------------------------------------------------------------------

def test_cli_report_writes_notebook_and_html(coded: Path, tmp_path: Path, capsys):
    notebooks = tmp_path / "nbs"
    write_notebook(notebooks / "case_report.ipynb", "print(case_id)")
    code = main(["report", "alpha", "--store", str(coded), "--out", str(tmp_path / "r"),
                 "--notebooks", str(notebooks), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (tmp_path / "r" / "alpha.html").is_file() and "alpha: ok" in out
    assert outputs(tmp_path / "r" / "alpha.ipynb", "print(case_id)") == "alpha\n"
    params = json.loads(json.dumps(nbformat.read(tmp_path / "r" / "alpha.ipynb", 4)
                                   .metadata.papermill.parameters))
    assert params["case_id"] == "alpha" and params["store_path"] == str(coded.resolve())


def test_cli_report_of_a_failing_notebook_exits_1(coded: Path, tmp_path: Path, capsys):
    notebooks = tmp_path / "nbs"
    write_notebook(notebooks / "case_report.ipynb", "raise KeyError('no such code')")
    code = main(["report", "alpha", "--store", str(coded), "--out", str(tmp_path / "r"),
                 "--notebooks", str(notebooks), "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines() == [
        "alpha: FAILED: KeyError: 'no such code' (cell [3])",
        f"  partly executed notebook: {tmp_path / 'r' / 'alpha.ipynb'}"]


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["report", "nosuch"], 2, "case 'nosuch' is not in the store (known: alpha, empty)"),
    (["report", "empty"], 1, "case 'empty' has no codings"),
    (["report", "alpha", "--codebook", "missing.yaml"], 2, "missing.yaml: no such codebook"),
    (["report", "alpha", "--out", "{tmp}/file/sub"], 2, "cannot write reports"),
    (["batch"], 2, "name the cases to report on, or use --all"),
    (["batch", "alpha", "--all"], 2, "not both"),
    (["batch", "alpha", "--jobs", "0"], 2, "--jobs must be at least 1"),
])
def test_cli_bad_input(argv, code, message, coded: Path, tmp_path: Path, capsys):
    (tmp_path / "file").write_text("x")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "reports")]
    assert main([*argv, "--store", str(coded), "--quiet"]) == code
    assert message in capsys.readouterr().err


def test_cli_missing_store(tmp_path: Path, capsys):
    assert main(["report", "alpha", "--store", str(tmp_path / "none.db")]) == 2
    assert "no store at this path" in capsys.readouterr().err
