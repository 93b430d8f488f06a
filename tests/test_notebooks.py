"""Every notebook runs under papermill against a store built in the test."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

from casekit.ingest import ingest_case
from casekit.store import Store
from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("nb") / "store.db"
    with Store(path) as store:
        report = ingest_case(REPO / "corpora" / "digi_midtfjord", store, progress=False)
        assert report.ok
    return path


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_under_papermill(notebook: Path, ingested: Path, tmp_path: Path):
    out = tmp_path / notebook.name
    papermill.execute_notebook(
        str(notebook), str(out), parameters={"case_id": "digi_midtfjord",
                                             "store_path": str(ingested)},
        cwd=str(notebook.parent), progress_bar=False, kernel_name="python3")
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    html = "".join(o.get("data", {}).get("text/html", "") for c in executed.cells
                   if c.cell_type == "code" for o in c.get("outputs", []))
    assert "<table" in html


def test_corpus_overview_shows_every_tranche(ingested: Path, tmp_path: Path):
    out = tmp_path / "overview.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "corpus_overview.ipynb"), str(out),
        parameters={"case_id": "digi_midtfjord", "store_path": str(ingested)},
        progress_bar=False, kernel_name="python3")
    text = out.read_text(encoding="utf-8")
    for tranche in ("network", "interplay", "municipality"):
        assert tranche in text
    assert "Kåre Bjerke" in text and "windows-1252" in text
