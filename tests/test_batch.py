"""Batch runs: parallel workers, failure isolation, the Dask path and the index page."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from casekit import batch
from casekit.cli import main
from casekit.errors import UsageError
from tests.test_report import build_store

CASES = ("alpha", "beta", "broken")
STATUSES = [("alpha", "ok"), ("beta", "ok"), ("broken", "failed"), ("empty", "failed"),
            ("cross_case_report", "ok")]
BROKEN = "RuntimeError: deliberate failure for broken (cell [4])"


def _notebook(path: Path, parameters: str, *sources: str) -> None:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}})
    params = new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# Report\n\n## Codings"), params,
                *[new_code_cell(s) for s in sources]]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, Path]:
    """A store with three coded cases (one whose report fails) and one without codings,
    and small report notebooks that count each case's codings."""
    root = tmp_path_factory.mktemp("batch")
    db = build_store(root, coded=CASES, uncoded=("empty",))
    notebooks = root / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "case_report.ipynb", 'case_id = ""\nstore_path = ""',
              "import casekit\nn = len(casekit.open_store(store_path).codings(case_id))",
              'if case_id == "broken":\n'
              '    raise RuntimeError("deliberate failure for " + case_id)',
              'print(case_id, n)')
    _notebook(notebooks / "cross_case_report.ipynb", "case_ids = []\nstore_path = ''",
              "print(sorted(case_ids))")
    return db, notebooks


def _check(results: list, out: Path) -> None:
    assert [(r.name, r.status) for r in results] == STATUSES
    by_name = {r.name: r for r in results}
    assert by_name["broken"].error == BROKEN
    assert by_name["broken"].notebook == str(out / "broken.ipynb")  # kept, partly executed
    assert not (out / "broken.html").exists()
    assert by_name["empty"].error.endswith("case 'empty' has no codings (run 'casekit code "
                                           "empty --codebook codebooks/*.yaml' first)")
    assert by_name["empty"].notebook is None
    for name in ("alpha", "beta"):
        assert (out / f"{name}.html").is_file()
        printed = nbformat.read(out / f"{name}.ipynb", 4).cells[-1].outputs[0]["text"]
        assert printed == f"{name} 4\n"
    cross = nbformat.read(out / "cross_case_report.ipynb", 4).cells[-1].outputs[0]["text"]
    assert cross == "['alpha', 'beta', 'broken']\n"


@pytest.fixture(scope="module")
def local_run(setup, tmp_path_factory):
    db, notebooks = setup
    out = tmp_path_factory.mktemp("local") / "reports"
    code = main(["batch", "--all", "--jobs", "2", "--store", str(db), "--out", str(out),
                 "--notebooks", str(notebooks), "--quiet"])
    return code, out


def test_batch_isolates_the_failing_case(local_run, capsys):
    code, out = local_run
    assert code == 1
    data = json.loads((out / "index.json").read_text(encoding="utf-8"))
    results = [batch.ReportResult(**r) for r in data["reports"]]
    _check(results, out)


def test_index_lists_every_report_with_status_parameters_and_provenance(local_run):
    _, out = local_run
    page = (out / "index.html").read_text(encoding="utf-8")
    rows = page.split('<tr class="report"')[1:]
    assert [r.split('data-name="')[1].split('"')[0] for r in rows] == [n for n, _ in STATUSES]
    assert [r.split('data-status="')[1].split('"')[0] for r in rows] == [s for _, s in STATUSES]
    assert '<a href="alpha.html">alpha</a>' in rows[0]
    assert '<a href="broken.ipynb">notebook</a>' in rows[2] and "broken.html" not in rows[2]
    assert "<code>case_id</code> = &quot;alpha&quot;" in rows[0]
    assert "2 documents · corpus <code" in rows[0] and "test (manual)" in rows[0]
    assert "4 codings" in rows[0]
    assert "3 of 5 reports ok" in page and "<script" not in page
    data = json.loads((out / "index.json").read_text(encoding="utf-8"))
    prov = data["provenance"]
    assert prov["casekit"] == "0.1.0" and "papermill" in prov["software"]
    assert prov["cases"]["alpha"]["codebooks"] == [
        {"codebook_id": "test", "version": "", "sha256": "", "codings": 4}]


def test_batch_on_a_dask_cluster(setup, tmp_path):
    distributed = pytest.importorskip("distributed")
    db, notebooks = setup
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = batch.run_batch(db, None, tmp_path / "reports", notebooks=notebooks,
                                 scheduler=cluster.scheduler_address, progress=False)
    assert not result.ok
    _check(result.results, tmp_path / "reports")
    assert result.index == tmp_path / "reports" / "index.html"


def test_unreachable_scheduler_is_a_usage_error(setup, tmp_path, monkeypatch):
    db, notebooks = setup
    monkeypatch.setattr(batch, "SCHEDULER_TIMEOUT", "1s")
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        batch.run_batch(db, ["alpha"], tmp_path, notebooks=notebooks,
                        scheduler="tcp://127.0.0.1:9", progress=False)


def test_plan_orders_jobs_and_names_outputs(setup, tmp_path):
    db, notebooks = setup
    jobs = batch.plan(db, ["beta", "alpha"], tmp_path / "r", notebooks=notebooks,
                      codebook_paths=[], language="en")
    assert [j.name for j in jobs] == ["beta", "alpha", "cross_case_report"]
    assert jobs[0].parameters == {
        "case_id": "beta", "store_path": str(db.resolve()), "codebook_paths": [],
        "output_dir": str((tmp_path / "r").resolve()), "report_language": "en"}
    assert jobs[2].parameters["case_ids"] == ["beta", "alpha"]
    assert jobs[0].executed_path == (tmp_path / "r").resolve() / "beta.ipynb"


def test_plan_rejects_bad_input(setup, tmp_path):
    db, notebooks = setup
    with pytest.raises(UsageError, match="case_report.ipynb: report notebook not found"):
        batch.plan(db, None, tmp_path, notebooks=tmp_path)
    with pytest.raises(UsageError, match="the store holds no cases"):
        batch.plan(build_store(tmp_path / "none", coded=()), None, tmp_path,
                   notebooks=notebooks)
    with pytest.raises(UsageError, match="--jobs must be at least 1"):
        batch.run_jobs([], workers=0)
