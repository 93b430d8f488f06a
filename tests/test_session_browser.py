"""The coding-session notebook, run with papermill and opened in headless Chromium.

Widgets need a live kernel to be used; what a coder or supervisor opens as a file must
still render: its headings, the progress table and the change log, with no code, no
console errors and nothing fetched from outside.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from casekit.codebook import Codebook
from casekit.coding import code_case
from casekit.project import open_project
from casekit.report import ReportJob, run_report
from casekit.store import Store
from tests.conftest import REPO
from tests.test_browser import CHROMIUM, browser, open_page  # noqa: F401  (a fixture)
from tests.test_report import build_store

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def session_page(tmp_path_factory) -> Path:
    """The coding session of case alpha, run for coder kari after one accepted proposal."""
    root = tmp_path_factory.mktemp("session")
    db = build_store(root, coded=(), uncoded=("alpha",))
    with Store(db) as store:
        assert code_case(store, "alpha", [Codebook.load(MINI)], progress=False).ok
    project = open_project(db, coder="kari", case_id="alpha", codebook=str(MINI))
    proposal = int(project.codings().query("origin == 'auto'")["coding_id"].iloc[0])
    project.accept(proposal)
    job = ReportJob("coding_session", str(REPO / "notebooks" / "coding_session.ipynb"),
                    {"case_id": "alpha", "coder": "kari", "store_path": str(db),
                     "codebook": str(MINI)}, str(root / "out"), title="Coding session")
    (root / "out").mkdir()
    result = run_report(job)
    assert result.ok, result.error
    return job.html_path


def test_coding_session_renders_in_chromium(session_page, browser, tmp_path):  # noqa: F811
    page, errors, outside = open_page(browser, session_page)
    assert errors == [] and outside == []
    assert page.locator("h1").first.inner_text().replace("¶", "").strip() == "Coding session"
    headings = {t.replace("¶", "").strip() for t in page.locator("h2").all_inner_texts()}
    assert {"Where the coding stands", "The coding view", "What you changed"} <= headings
    body = page.locator("body").inner_text()
    assert "kari codes alpha with mini" in body  # the first cell's summary line
    assert "accept" in body  # the change log lists the accepted proposal
    code = page.locator(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor")
    assert code.count() == 0
    shot = tmp_path / "coding_session.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()
