"""The caches that keep report runs fast: parsed codebooks, analysis reads, light imports.

The small case: two policy documents, four sentences, ten words.

a (network):              S1 [0, 23)  "Målstyringen er streng."  3 words  NPM (manual)
                          S2 [24, 44) "Vi samarbeider godt."     3 words  NPG (manual)
b (municipality, Havvik): S1 [0, 16)  "Kommunen styrer."         2 words
                          S2 [17, 34) "Alle samarbeider."        2 words  (NPG added by tests)
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from casekit import analysis
from casekit.analysis import base
from casekit.codebook import Codebook, CodebookError, clear_parsed_cache
from casekit.coding import code_case
from casekit.export import codings_frame
from casekit.ingest import ingest_case
from casekit.report import KERNEL_THREADS, ReportJob, WarmKernel, render_report, run_report
from casekit.store import Store
from tests.conftest import REPO, row

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"
CASE = "testcase"


@pytest.fixture
def coded(make_case, store):
    files = {"a.txt": "Målstyringen er streng. Vi samarbeider godt.\n",
             "b.txt": "Kommunen styrer. Alle samarbeider.\n"}
    ingest_case(make_case(files=files, rows=[
        row("a", "a.txt", actor_role="network"),
        row("b", "b.txt", tranche="municipality", municipality="Havvik")]), store,
        progress=False)
    store.save_codebook(Codebook.load(MINI))
    store.add_coding(CASE, "a", 0, 23, codebook_id="mini", code_id="NPM", coder="ola")
    store.add_coding(CASE, "a", 24, 44, codebook_id="mini", code_id="NPG", coder="ola")
    return store


def units(store: Store, code: str, **kwargs) -> int:
    frame = analysis.frequencies(store, CASE, **kwargs)
    return int(frame.set_index("code").loc[code, "units"])


# -- parsed codebooks -------------------------------------------------------------------------

def test_a_codebook_text_is_parsed_once(monkeypatch):
    clear_parsed_cache()
    calls = []
    parse = sys.modules["casekit.codebook"]._parse
    monkeypatch.setattr("casekit.codebook._parse",
                        lambda *args: calls.append(args) or parse(*args))
    text = MINI.read_text(encoding="utf-8")
    books = [Codebook.from_text(text, "stored.yaml") for _ in range(3)]
    assert len(calls) == 1
    loaded = Codebook.load(MINI)  # the same content from a file: no parse either
    assert len(calls) == 1
    assert [b.sha256 for b in books] == [loaded.sha256] * 3
    Codebook.from_text(text.replace('"1.0"', '"1.1"'))
    assert len(calls) == 2  # new content, new parse


def test_a_cached_codebook_cannot_be_changed_by_a_caller():
    text = MINI.read_text(encoding="utf-8")
    first = Codebook.from_text(text)
    first["NPM"].names["nb"] = "Endret"
    first["NPM.goals"].rules.clear()
    first["NPM.value"].rules[1].value[0]["LIKE_NUM"] = False  # a token pattern's spec
    first.codes.pop()
    first.title["en"] = "Changed"
    second = Codebook.from_text(text)
    assert second is not first
    assert second["NPM"].name("nb") == "Ny offentlig styring"
    assert [r.label for r in second["NPM.goals"].rules] == ["lemma:mål", "phrase:nå målet~2"]
    assert second["NPM.value"].rules[1].value[0] == {"LIKE_NUM": True}
    assert [c.id for c in second.codes] == ["NPM", "NPM.goals", "NPM.value", "NPG"]
    assert second["NPG"] is second.codes[3]  # the copy's index points into the copy
    assert second.title["en"] == "Mini codebook"


def test_a_cached_codebook_keeps_the_path_it_was_loaded_from(tmp_path):
    text = MINI.read_text(encoding="utf-8")
    copy = tmp_path / "copy.yaml"
    copy.write_text(text, encoding="utf-8")
    assert Codebook.from_text(text, "one.yaml").path == Path("one.yaml")
    assert Codebook.load(copy).path == copy
    assert Codebook.load(MINI).path == MINI


def test_an_edited_file_is_parsed_again_and_errors_are_never_cached(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    assert Codebook.load(path)["NPG"].name("nb") == "Nettverksstyring"
    path.write_text(MINI.read_text(encoding="utf-8").replace("Nettverksstyring", "Nettverk"),
                    encoding="utf-8")
    assert Codebook.load(path)["NPG"].name("nb") == "Nettverk"
    path.write_text("id: bad\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(CodebookError, match="required key 'version' is missing"):
            Codebook.load(path)
    with pytest.raises(CodebookError, match="codebook file does not exist"):
        Codebook.load(tmp_path / "missing.yaml")


# -- the store's change state -----------------------------------------------------------------

def test_data_state_changes_with_every_write_from_any_connection(coded):
    before = coded.data_state()
    coded.codings(CASE)  # reading changes nothing
    assert coded.data_state() == before
    coded.add_coding(CASE, "b", 17, 34, codebook_id="mini", code_id="NPG", coder="ola")
    mine = coded.data_state()
    assert mine != before
    with Store(coded.path) as other:
        other.add_coding(CASE, "b", 0, 16, codebook_id="mini", code_id="NPM", coder="kari")
    assert coded.data_state() != mine


# -- analysis reads ---------------------------------------------------------------------------

def test_analyses_of_a_case_read_the_store_once(coded, monkeypatch):
    calls: list[str] = []
    for method in ("coded_spans", "segments", "documents", "code_table"):
        original = getattr(coded, method)
        monkeypatch.setattr(coded, method, lambda *a, _m=method, _o=original, **k:
                            calls.append(_m) or _o(*a, **k))
    analysis.frequencies(coded, CASE)
    analysis.tranche_profile(coded, CASE, municipalities=True)
    analysis.hybridity(coded, CASE, per="tranche")
    analysis.cooccurrence(coded, CASE)
    analysis.actor_profile(coded, CASE)
    analysis.frequencies(coded, CASE, level="code")  # another level: the same reads
    assert sorted(calls) == ["code_table", "coded_spans", "documents", "segments", "segments"]


def test_a_write_through_the_same_store_invalidates_the_cache(coded):
    frame = analysis.frequencies(coded, CASE)
    assert frame[["code", "units"]].values.tolist() == [["NPM", 1], ["NPG", 1]]
    assert frame["per_1000_words"].tolist() == [100.0, 100.0]  # 1 unit in 10 words
    coded.add_coding(CASE, "b", 17, 34, codebook_id="mini", code_id="NPG", coder="ola")
    frame = analysis.frequencies(coded, CASE)
    assert frame[["code", "units", "documents"]].values.tolist() == [["NPM", 1, 1],
                                                                    ["NPG", 2, 2]]
    assert frame["per_1000_words"].tolist() == [100.0, 200.0]


def test_a_write_through_another_connection_invalidates_the_cache(coded):
    assert units(coded, "NPG") == 1
    with Store(coded.path) as other:  # as another process would
        other.add_coding(CASE, "b", 17, 34, codebook_id="mini", code_id="NPG", coder="kari")
    assert units(coded, "NPG") == 2
    assert units(coded, "NPG", filter=analysis.CodingFilter(coder="ola")) == 1


def test_a_caller_changing_its_material_does_not_change_the_cache(coded):
    first = base.load(coded, CASE)
    first.units["tranche"] = "elsewhere"
    first.docs.iloc[0, 0] = "changed"
    first.presence.loc[:, "codings"] = 99
    first.codes.append("EXTRA")
    first.municipalities.clear()
    second = base.load(coded, CASE)
    assert second.units["tranche"].tolist() == ["network", "network", "municipality",
                                                "municipality"]
    assert second.docs["doc_id"].tolist() == ["a", "b"]
    assert second.presence["codings"].tolist() == [1, 1]
    assert second.codes == ["NPM", "NPG"]
    assert second.municipalities == ["Havvik", "Bjørkeli"]


def test_the_cache_goes_with_its_store(coded, tmp_path):
    other = Store(coded.path)
    analysis.frequencies(other, CASE)
    assert other in base._caches
    base.clear_cache(other)
    assert other not in base._caches
    analysis.frequencies(other, CASE)
    other.close()
    del other
    gc.collect()
    assert all(s is coded for s in base._caches)


def test_unknown_case_is_still_an_error_after_a_cached_read(coded):
    analysis.frequencies(coded, CASE)
    with pytest.raises(Exception, match="nope"):
        analysis.frequencies(coded, "nope")


# -- the codings table from the stored code trees ---------------------------------------------

def test_codings_table_names_codes_by_the_version_that_coded_them(make_case, store):
    ingest_case(make_case(files={"a.txt": "Målstyringen er streng.\n"},
                          rows=[row("a", "a.txt")]), store, progress=False)
    old = Codebook.load(MINI)
    code_case(store, CASE, [old], progress=False)  # auto codings by version 1.0
    new = Codebook.from_text(MINI.read_text(encoding="utf-8").replace(
        '"1.0"', '"1.1"').replace("Ny offentlig styring", "Ny styring"))
    store.save_codebook(new)
    store.add_coding(CASE, "a", 0, 23, codebook_id="mini", code_id="NPM.goals", coder="ola")
    frame = codings_frame(store, CASE).set_index("origin")
    assert frame.loc["auto", ["code_path", "codebook_version", "codebook_sha256"]].tolist() == [
        "Ny offentlig styring", "1.0", old.sha256]
    assert frame.loc["manual", ["code_path", "top_code", "codebook_version"]].tolist() == [
        "Ny styring > Mål", "NPM", "1.1"]  # no version of its own: the newest names it
    english = codings_frame(store, CASE, language="en").set_index("origin")
    assert english.loc["manual", "code_path"] == new.path_names("NPM.goals", "en")


# -- light imports ----------------------------------------------------------------------------

def test_import_casekit_loads_neither_spacy_nor_the_notebook_machinery():
    code = ("import sys, casekit, casekit.report\n"
            "assert casekit.open_store and casekit.Store and 'open_store' in dir(casekit)\n"
            "heavy = ('spacy', 'papermill', 'nbformat', 'nbconvert', 'nbclient')\n"
            "print(sorted(m for m in heavy if m in sys.modules))\n"
            "from casekit import segment_document\n"
            "print('spacy' in sys.modules)\n"
            "try:\n    casekit.nothing\nexcept AttributeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.splitlines()
    assert out == ["[]", "True", "module 'casekit' has no attribute 'nothing'"]


# -- executing and rendering apart ------------------------------------------------------------

def test_a_report_executed_without_rendering_is_rendered_later(tmp_path):
    notebook = tmp_path / "tiny.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "language": "python", "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_markdown_cell("## Threads"), nbformat.v4.new_code_cell(
        "import os\nprint(os.environ.get('OPENBLAS_NUM_THREADS'))")]
    nbformat.write(nb, notebook)
    job = ReportJob("tiny", str(notebook), {}, str(tmp_path / "out"))
    job.executed_path.parent.mkdir()
    with WarmKernel() as kernel:
        result = run_report(job, kernel, render=False)
    assert (result.status, result.html, job.html_path.exists()) == ("executed", None, False)
    printed = nbformat.read(result.notebook, as_version=4).cells[1].outputs[0]["text"]
    assert printed.strip() == os.environ.get("OPENBLAS_NUM_THREADS",
                                             KERNEL_THREADS["OPENBLAS_NUM_THREADS"])
    done = render_report(job, result)
    assert done.ok and Path(done.html) == job.html_path and job.html_path.exists()
    assert render_report(job, done) is done  # already rendered: unchanged
