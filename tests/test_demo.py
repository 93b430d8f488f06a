"""The demo corpus: valid, big and varied enough, rebuildable, and our own text."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

from casekit.case import load_case, load_manifest
from casekit.ingest import ingest_case
from casekit.readers import read_document
from tests.conftest import REPO, SHARED

CORPORA = REPO / "corpora"
DEMO = CORPORA / "digi_midtfjord"
# What each demo case must show: its tranches, places and languages.
CASES = {
    "digi_midtfjord": {"tranches": {"network", "interplay", "municipality"},
                       "places": {"Havvik", "Elvedal", "Bjørkeli", "Steinfjord"},
                       "languages": {"nb"}},
    "samskaping_lyngvik": {"tranches": {"oppstart", "medvirkning", "vedtak"},
                           "places": {"Mårvik", "Ospdalen", "Skarvøya", "Lyngvik sentrum"},
                           "languages": {"nb"}},
    "tillit_breivik": {"tranches": {"forankring", "utproving", "evaluering"},
                       "places": {"Sentrum", "Ytre", "Dalen"},
                       "languages": {"nb", "nn", "en"}},
}


def _builder():
    spec = importlib.util.spec_from_file_location("build_demo", REPO / "scripts" / "build_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from casekit.store import Store

    store = Store(tmp_path_factory.mktemp("demo") / "demo.db")
    reports = {case_id: ingest_case(CORPORA / case_id, store, progress=False)
               for case_id in CASES}
    yield store, reports
    store.close()


def test_the_demo_is_three_cases_of_at_least_40_documents_and_60000_words(demo_store):
    store, _ = demo_store
    assert set(store.case_ids()) == set(CASES)
    docs = store.documents()
    assert len(docs) >= 40
    assert docs["n_words"].sum() >= 60_000


@pytest.mark.parametrize("case_id", CASES)
def test_demo_case_is_valid(demo_store, case_id):
    _, reports = demo_store
    report = reports[case_id]
    assert report.ok, report.failures
    assert report.unlisted == []


@pytest.mark.parametrize("case_id", CASES)
def test_demo_case_is_big_and_varied(demo_store, case_id):
    store, _ = demo_store
    expected = CASES[case_id]
    docs = store.documents(case_id)
    assert len(docs) >= 12
    assert docs["n_words"].sum() >= 15_000
    assert {"txt", "docx", "pdf"} <= {Path(f).suffix[1:] for f in docs["file"]}
    assert {"vtt", "srt"} & {Path(f).suffix[1:] for f in docs["file"]}
    assert {"interview", "policy", "minutes", "memo"} <= set(docs["kind"])
    assert {"politician", "administration", "citizen", "partner"} <= set(docs["actor_role"])
    assert set(docs["tranche"]) == expected["tranches"]
    assert expected["places"] <= set(docs["municipality"].dropna())
    assert set(docs["language"]) == expected["languages"]
    assert {"windows-1252", "utf-8"} <= set(docs["encoding"].dropna())


def test_first_case_covers_every_encoding_and_actor_role(demo_store):
    store, _ = demo_store
    docs = store.documents("digi_midtfjord")
    assert "network" in set(docs["actor_role"])
    local = docs[docs["tranche"] == "municipality"]
    assert {"Havvik", "Elvedal", "Bjørkeli", "Steinfjord"} <= set(local["municipality"])
    assert {"windows-1252", "utf-16-le", "utf-8", "utf-8-sig"} <= set(docs["encoding"].dropna())


@pytest.mark.parametrize("case_id", CASES)
def test_every_demo_interview_has_turns_by_several_speakers(demo_store, case_id):
    store, _ = demo_store
    docs = store.documents(case_id)
    turns = store.segments(case_id, kind="turn")
    for doc_id in docs.loc[docs["kind"] == "interview", "doc_id"]:
        mine = turns[turns["doc_id"] == doc_id]
        assert len(mine) >= 10, doc_id
        assert set(mine["speaker_role"]) == {"interviewer", "informant"}, doc_id
        # No speaker label leaks into the spoken text.
        for speaker in set(mine["speaker"]):
            leaked = mine["text"].str.lower().str.startswith((speaker.lower() + ":",
                                                              f"**{speaker.lower()}"))
            assert not leaked.any(), (doc_id, speaker)


@pytest.mark.parametrize("case_id", CASES)
def test_demo_pdfs_keep_page_numbers(demo_store, case_id):
    store, _ = demo_store
    pages = store.segments(case_id, kind="page")
    assert pages.groupby("doc_id")["page"].max().min() >= 2
    sentences = store.segments(case_id, kind="sentence")
    in_pdf = sentences[sentences["doc_id"].isin(set(pages["doc_id"]))]
    assert in_pdf["page"].notna().all()
    assert not in_pdf["text"].str.contains("  ").any()


@pytest.mark.parametrize("case_id", CASES)
def test_demo_rebuilds_from_sources(tmp_path, case_id):
    pytest.importorskip("fpdf")
    builder = _builder()
    builder.build([case_id], out=tmp_path)
    original, rebuilt = CORPORA / case_id, tmp_path / case_id
    assert (rebuilt / "manifest.csv").read_text() == (original / "manifest.csv").read_text()
    shutil.copy(original / "case.yaml", rebuilt / "case.yaml")
    _, errors = load_manifest(load_case(rebuilt))
    assert errors == []
    listed = {row.split(",", 2)[1] for row in
              (original / "manifest.csv").read_text(encoding="utf-8").splitlines()[1:]}
    assert listed == {p.relative_to(rebuilt).as_posix() for p in rebuilt.rglob("*")
                      if p.is_file() and p.name not in ("case.yaml", "manifest.csv")}
    for file in sorted(listed):
        assert read_document(rebuilt / file).text == read_document(original / file).text, file


def _shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_demo_text_shares_no_passage_with_the_seed_texts():
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is not beside this clone; nothing to compare against")
    seed_shingles = set()
    for path in seeds.glob("*.txt"):
        seed_shingles |= _shingles(path.read_text(encoding="utf-8", errors="replace"))
    for path in (REPO / "scripts" / "demo_src").rglob("*.txt"):
        overlap = _shingles(path.read_text(encoding="utf-8")) & seed_shingles
        assert not overlap, f"{path.name} shares '{' '.join(next(iter(overlap)))}' with a seed"
