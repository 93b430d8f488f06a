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

DEMO = REPO / "corpora" / "digi_midtfjord"


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
    report = ingest_case(DEMO, store, progress=False)
    yield store, report
    store.close()


def test_demo_case_is_valid(demo_store):
    _, report = demo_store
    assert report.ok, report.failures
    assert report.unlisted == []


def test_demo_case_is_big_and_varied(demo_store):
    store, _ = demo_store
    docs = store.documents("digi_midtfjord")
    assert len(docs) >= 12
    assert docs["n_words"].sum() >= 15_000
    assert {"txt", "docx", "pdf", "vtt"} <= {Path(f).suffix[1:] for f in docs["file"]}
    assert {"interview", "policy", "minutes", "memo"} <= set(docs["kind"])
    assert {"politician", "administration", "network", "citizen", "partner"} <= set(
        docs["actor_role"])
    assert set(docs["tranche"]) == {"network", "interplay", "municipality"}
    local = docs[docs["tranche"] == "municipality"]
    assert {"Havvik", "Elvedal", "Bjørkeli", "Steinfjord"} <= set(local["municipality"])
    assert {"windows-1252", "utf-16-le", "utf-8", "utf-8-sig"} <= set(docs["encoding"].dropna())


def test_every_demo_interview_has_turns_by_several_speakers(demo_store):
    store, _ = demo_store
    docs = store.documents("digi_midtfjord")
    turns = store.segments("digi_midtfjord", kind="turn")
    for doc_id in docs.loc[docs["kind"] == "interview", "doc_id"]:
        mine = turns[turns["doc_id"] == doc_id]
        assert len(mine) >= 10, doc_id
        assert set(mine["speaker_role"]) == {"interviewer", "informant"}, doc_id
        # No speaker label leaks into the spoken text.
        for speaker in set(mine["speaker"]):
            leaked = mine["text"].str.lower().str.startswith((speaker.lower() + ":",
                                                              f"**{speaker.lower()}"))
            assert not leaked.any(), (doc_id, speaker)


def test_demo_pdfs_keep_page_numbers(demo_store):
    store, _ = demo_store
    pages = store.segments("digi_midtfjord", kind="page")
    assert pages.groupby("doc_id")["page"].max().min() >= 2
    sentences = store.segments("digi_midtfjord", kind="sentence",
                               doc_id="strategi_midtfjord_2025")
    assert sentences["page"].notna().all()
    assert not sentences["text"].str.contains("  ").any()


def test_demo_rebuilds_from_sources(tmp_path):
    pytest.importorskip("fpdf")
    builder = _builder()
    builder.build(["digi_midtfjord"], out=tmp_path)
    rebuilt = tmp_path / "digi_midtfjord"
    assert (rebuilt / "manifest.csv").read_text() == (DEMO / "manifest.csv").read_text()
    _, errors = load_manifest(load_case(_with_case_yaml(rebuilt)))
    assert errors == []
    for path in sorted(DEMO.rglob("*")):
        if path.is_file() and path.name not in ("case.yaml", "manifest.csv"):
            fresh = rebuilt / path.relative_to(DEMO)
            assert read_document(fresh).text == read_document(path).text, path.name


def _with_case_yaml(folder: Path) -> Path:
    shutil.copy(DEMO / "case.yaml", folder / "case.yaml")
    return folder


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
