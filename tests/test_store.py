"""The project store: schema, migrations, transactions, text versions and stale codings."""

from __future__ import annotations

import sqlite3

import pytest

from casekit.case import load_case
from casekit.errors import StoreError
from casekit.segment import Segment, segment_document
from casekit.store import SCHEMA_VERSION, Store, open_store


def _record(doc_id: str = "d1", text: str = "Første setning. Andre setning.",
            raw: str = "r1", **over) -> dict:
    from casekit.provenance import sha256_text

    record = {"case_id": "testcase", "doc_id": doc_id, "file": f"{doc_id}.txt",
              "source_path": f"/x/{doc_id}.txt", "kind": "policy", "tranche": "network",
              "municipality": "", "actor_role": "", "date": "2025", "language": "nb",
              "title": doc_id, "attributes": {"k": "v"}, "manifest_line": 2, "reader": "text",
              "encoding": "utf-8", "raw_sha256": raw, "raw_bytes": len(text),
              "text_sha256": sha256_text(text), "segmenter": "1|nb|plain|",
              "n_chars": len(text), "n_words": 4, "warnings": []}
    record.update(over)
    return record


def _save(store: Store, text: str, doc_id: str = "d1", raw: str = "r1"):
    segments = segment_document(text, kind="policy", language="nb").segments
    return store.save_document(_record(doc_id, text, raw), text, segments)


@pytest.fixture
def case_store(store, make_case):
    store.save_case(load_case(make_case()))
    return store


def test_new_store_has_schema_wal_and_foreign_keys(store):
    assert store.schema_version == SCHEMA_VERSION >= 1
    assert store.execute("PRAGMA journal_mode")[0][0] == "wal"
    assert store.execute("PRAGMA foreign_keys")[0][0] == 1
    tables = {r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"cases", "tranches", "documents", "document_texts", "segments", "codebooks",
            "codes", "codings", "memos", "runs", "run_messages", "audit",
            "schema_version"} <= tables


def test_reopening_does_not_migrate_twice(tmp_path):
    Store(tmp_path / "s.db").close()
    with Store(tmp_path / "s.db") as again:
        assert len(again.execute("SELECT * FROM schema_version")) == SCHEMA_VERSION


def test_store_from_a_newer_casekit_is_refused(tmp_path):
    Store(tmp_path / "s.db").close()
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute("INSERT INTO schema_version VALUES (999, 'later')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 999, newer than this casekit"):
        Store(tmp_path / "s.db")


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"This is not SQLite at all, just some notes.\n" * 20)
    with pytest.raises(StoreError, match="not a casekit store"):
        Store(bogus)
    assert bogus.read_bytes().startswith(b"This is not SQLite")


def test_open_store_requires_an_existing_file(tmp_path):
    with pytest.raises(StoreError, match="no store at this path"):
        open_store(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


def test_case_with_tranches_in_order(case_store):
    cases = case_store.cases()
    assert cases.loc[0, "case_id"] == "testcase"
    assert cases.loc[0, "tranches"] == ["network", "interplay", "municipality"]
    assert list(case_store.tranches("testcase")["tranche_id"]) == [
        "network", "interplay", "municipality"]


def test_save_and_read_back_a_document(case_store):
    text = "Første setning. Andre setning.\n\nNy paragraf."
    saved = _save(case_store, text)
    assert saved.action == "added" and saved.text_version == 1
    assert case_store.document_text("testcase", "d1") == text
    docs = case_store.documents("testcase")
    assert docs.loc[0, "k"] == "v"  # manifest attributes become columns
    segs = case_store.segments("testcase", kind="sentence")
    assert list(segs["text"]) == ["Første setning.", "Andre setning.", "Ny paragraf."]
    assert list(segs["tranche"].unique()) == ["network"]
    assert str(segs["paragraph"].dtype) == "Int64"


def test_a_failing_write_leaves_nothing_behind(case_store):
    bad = [Segment("sentence", 1, 5, 2)]  # end before start violates the schema
    with pytest.raises(sqlite3.IntegrityError):
        case_store.save_document(_record(), "Tekst her.", bad)
    assert case_store.documents("testcase").empty
    assert case_store.execute("SELECT COUNT(*) FROM document_texts")[0][0] == 0


def test_changed_text_keeps_old_version_and_marks_moved_codings_stale(case_store):
    text = "Vi samarbeider tett. Målene er klare."
    _save(case_store, text)
    start = text.index("Målene")
    moved = case_store.add_coding("testcase", "d1", start, len(text), codebook_id="gl",
                                  code_id="NPM", coder="kari")
    kept = case_store.add_coding("testcase", "d1", 0, 20, codebook_id="gl", code_id="NPG",
                                 coder="kari")
    new_text = "Vi samarbeider tett. Nå er målene uklare."
    saved = _save(case_store, new_text, raw="r2")
    assert saved.action == "updated" and saved.text_version == 2
    assert (saved.stale_codings, saved.kept_codings) == (1, 1)
    codings = case_store.codings("testcase").set_index("coding_id")
    assert codings.loc[moved, "stale"] == 1
    assert codings.loc[moved, "quote"] == "Målene er klare."  # nothing lost
    assert codings.loc[moved, "text_version"] == 1
    assert codings.loc[kept, "stale"] == 0 and codings.loc[kept, "text_version"] == 2
    assert case_store.document_text("testcase", "d1", version=1) == text
    audit = case_store.execute("SELECT action, row_id FROM audit WHERE action = 'mark_stale'")
    assert [(r[0], r[1]) for r in audit] == [("mark_stale", moved)]


def test_same_text_from_a_resaved_file_is_not_a_new_version(case_store):
    text = "Samme tekst."
    _save(case_store, text, raw="r1")
    saved = _save(case_store, text, raw="r2")
    assert saved.action == "resegmented" and saved.text_version == 1
    assert case_store.execute("SELECT COUNT(*) FROM document_texts")[0][0] == 1


def test_add_coding_checks_offsets(case_store):
    _save(case_store, "Kort.")
    with pytest.raises(StoreError, match="outside the text"):
        case_store.add_coding("testcase", "d1", 0, 50, codebook_id="gl", code_id="X",
                              coder="k")
    with pytest.raises(StoreError, match="not in the store"):
        case_store.add_coding("testcase", "nope", 0, 1, codebook_id="gl", code_id="X",
                              coder="k")


def test_status_counts_per_tranche_including_empty_ones(case_store):
    _save(case_store, "En. To.\n\nTre.")
    status = case_store.status("testcase")
    assert list(status["tranche"]) == ["network", "interplay", "municipality"]
    network = status.iloc[0]
    assert (network.documents, network.paragraphs, network.sentences, network.words) == (
        1, 2, 3, 4)
    assert status.iloc[1].documents == 0 and status.iloc[1].words == 0


def test_require_case_names_known_cases(case_store):
    with pytest.raises(StoreError, match="case 'x' is not in the store .known: testcase"):
        case_store.require_case("x")


def test_execute_refuses_writes(case_store):
    with pytest.raises(StoreError, match="read-only"):
        case_store.execute("DELETE FROM cases")


def test_runs_are_recorded_with_messages(case_store):
    run = case_store.start_run("ingest", "testcase", {"a": 1}, {"python": "3.11"})
    case_store.finish_run(run, "partial", {"counts": {"added": 1}},
                          [{"level": "error", "doc_id": "d9", "file": "x.pdf",
                            "message": "x.pdf: damaged"}])
    runs = case_store.runs("testcase")
    assert runs.loc[0, "status"] == "partial"
    assert runs.loc[0, "summary"] == {"counts": {"added": 1}}
    assert list(case_store.run_messages(run)["message"]) == ["x.pdf: damaged"]


def test_empty_store_frames_have_columns(store):
    assert list(store.documents().columns)[:3] == ["case_id", "doc_id", "file"]
    assert "text" in store.segments().columns
    assert store.cases().empty and store.codings().empty
