"""Every rendered page opened in a real headless Chromium, as a supervisor would open it.

Drives Debian's chromium (``.ci/run`` installs it) through Playwright; Playwright's own
browser download is not reachable offline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from casekit import batch
from casekit.report import ReportJob, job_parameters, run_report
from tests.conftest import REPO
from tests.test_report import build_store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")

# The headings each page must have (notebooks may add more).
PAGES = {
    "alpha.html": ("Case report", {"Material", "Codings at a glance", "Logic profile by tranche",
                                   "Shifts between tranches", "Hybridity and co-occurrence",
                                   "Actor-role profiles",
                                   "Themes from network to municipalities",
                                   "Exemplary quotes", "Codebook coverage",
                                   "Intercoder agreement", "Methods appendix"}),
    "beta.html": ("Case report", {"Material", "Exemplary quotes", "Methods appendix"}),
    "cross_case_report.html": ("Cross-case report", {"The cases", "Material by tranche",
                                                     "Logic profiles side by side",
                                                     "Hybridity", "Actor-role profiles",
                                                     "Shifts between tranches",
                                                     "Methods appendix"}),
    "codebook_review.html": ("Codebook review", {"Hits per code", "Hits per rule",
                                                 "Codes that never fire",
                                                 "Sample passages per code",
                                                 "Candidate terms"}),
    "index.html": ("Case reports", set()),
}
FIGURES = {"alpha.html", "beta.html", "cross_case_report.html"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """The real report notebooks, run by the batch for two cases, plus a codebook review."""
    root = tmp_path_factory.mktemp("browser")
    db = build_store(root, coded=("alpha", "beta"))
    out = root / "reports"
    result = batch.run_batch(db, None, out, workers=2, progress=False)
    assert result.ok, result.summary_lines()
    review = run_report(ReportJob("codebook_review",
                                  str(REPO / "notebooks" / "codebook_review.ipynb"),
                                  job_parameters("alpha", db, out), str(out)))
    assert review.ok, review.error
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=CHROMIUM, args=ARGS,
            headless=True, viewport={"width": 1280, "height": 900})
        yield context
        context.close()


def open_page(browser, path: Path):
    """Open a file in a new page; return the page, the console errors and the requests
    that went anywhere but the file system or data URIs while it loaded."""
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.as_uri(), wait_until="load", timeout=20_000)
    return page, errors, outside


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_opens_cleanly_in_chromium(name, reports, browser, tmp_path):
    page, errors, outside = open_page(browser, reports / name)
    title, sections = PAGES[name]

    assert errors == [] and outside == []
    assert page.locator("h1").first.inner_text().strip() == title
    found = {t.replace("¶", "").strip() for t in page.locator("h2").all_inner_texts()}
    assert sections <= found
    images = page.evaluate("Array.from(document.images).map("
                           "i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert all(done and width > 0 and height > 0 for done, width, height in images)
    assert len(images) >= (1 if name in FIGURES else 0)
    code = page.locator(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor")
    assert code.count() == 0
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()


def test_material_with_markup_shows_as_text_and_never_runs(reports, browser):
    page = browser.new_page()
    page.goto((reports / "alpha.html").as_uri(), wait_until="load")
    assert page.evaluate("window.__pwned === undefined")
    assert '<script>window.__pwned = 1</script>' in page.locator("body").inner_text()
    page.close()


def test_table_of_contents_links_to_every_section(reports, browser):
    page = browser.new_page()
    page.goto((reports / "alpha.html").as_uri(), wait_until="load")
    links = page.locator("nav.casekit-toc a")
    targets = [link.get_attribute("href") for link in links.all()]
    assert "#Material" in targets and "#Methods-appendix" in targets
    for target in targets:
        assert page.locator(f"[id='{target[1:]}']").count() == 1
    page.close()
