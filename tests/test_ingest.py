"""Ingest: whole cases into the store, incremental re-runs, failures, raw files untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import docx
import pytest

from casekit.ingest import find_cases, ingest_case
from tests.conftest import INTERVIEW, POLICY, row, write_manifest


def _checksums(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _docx_bytes(tmp_path: Path, paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    path = tmp_path / "scratch.docx"
    document.save(str(path))
    return path.read_bytes()


def test_ingest_stores_documents_segments_and_a_run(make_case, store):
    report = ingest_case(make_case(), store, progress=False)
    assert report.ok and report.case_id == "testcase"
    assert report.counts()["added"] == 2
    docs = store.documents("testcase").set_index("doc_id")
    assert docs.loc["int1", "reader"] == "text" and docs.loc["int1", "encoding"] == "utf-8"
    assert docs.loc["pol1", "municipality"] == "Havvik"
    assert len(docs.loc["int1", "raw_sha256"]) == 64
    turns = store.segments("testcase", kind="turn")
    assert list(turns["speaker"]) == ["Forsker", "Kari Nilsen", "Forsker", "Kari Nilsen"]
    assert turns.iloc[3]["text"].endswith("Det er samskaping.")
    runs = store.runs("testcase")
    assert runs.loc[0, "status"] == "ok" and runs.loc[0, "summary"]["counts"]["added"] == 2
    assert "spacy" in runs.loc[0, "software"]


def test_second_ingest_changes_nothing(make_case, store):
    folder = make_case()
    ingest_case(folder, store, progress=False)
    before = store.execute("SELECT id, updated_at FROM documents ORDER BY id")
    segments = store.execute("SELECT COUNT(*), MAX(id) FROM segments")[0]
    report = ingest_case(folder, store, progress=False)
    assert report.counts() == {"unchanged": 2, "manifest_errors": 0}
    assert [tuple(r) for r in store.execute("SELECT id, updated_at FROM documents ORDER BY id")
            ] == [tuple(r) for r in before]
    assert tuple(store.execute("SELECT COUNT(*), MAX(id) FROM segments")[0]) == tuple(segments)
    assert store.execute("SELECT COUNT(*) FROM document_texts")[0][0] == 2


def test_raw_corpus_files_are_never_modified(make_case, store):
    folder = make_case()
    before = _checksums(folder)
    mtimes = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    ingest_case(folder, store, progress=False)
    ingest_case(folder, store, progress=False)
    assert _checksums(folder) == before
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == mtimes


def test_changed_file_updates_text_and_marks_codings_stale(make_case, store):
    folder = make_case()
    ingest_case(folder, store, progress=False)
    text = store.document_text("testcase", "int1")
    start = text.index("De er med")
    coding = store.add_coding("testcase", "int1", start, start + 9, codebook_id="gl",
                              code_id="SAMSKAPING", coder="kari")
    (folder / "intervju.txt").write_text(INTERVIEW.replace("De er med", "De er ikke med"),
                                         encoding="utf-8")
    report = ingest_case(folder, store, progress=False)
    outcome = {o.doc_id: o for o in report.outcomes}["int1"]
    assert outcome.action == "updated" and outcome.stale_codings == 1
    assert report.summary()["stale_codings"] == 1
    codings = store.codings("testcase")
    assert codings.loc[0, "coding_id"] == coding and codings.loc[0, "stale"] == 1
    assert "De er ikke med" in store.document_text("testcase", "int1")
    assert store.documents("testcase").set_index("doc_id").loc["int1", "text_version"] == 2


def test_manifest_metadata_change_updates_without_rereading(make_case, store):
    folder = make_case()
    ingest_case(folder, store, progress=False)
    write_manifest(folder, [
        row("int1", "intervju.txt", kind="interview", actor_role="politician"),
        row("pol1", "strategi.md", kind="policy", tranche="municipality",
            municipality="Bjørkeli", actor_role="administration", informant="X")])
    report = ingest_case(folder, store, progress=False)
    assert {o.doc_id: o.action for o in report.outcomes} == {"int1": "metadata",
                                                            "pol1": "metadata"}
    docs = store.documents("testcase").set_index("doc_id")
    assert docs.loc["int1", "actor_role"] == "politician"
    assert docs.loc["pol1", "municipality"] == "Bjørkeli"
    assert docs.loc["pol1", "informant"] == "X"


def test_kind_or_language_change_resegments(make_case, store):
    folder = make_case()
    ingest_case(folder, store, progress=False)
    assert len(store.segments("testcase", kind="turn")) == 4
    write_manifest(folder, [row("int1", "intervju.txt", kind="memo"),
                            row("pol1", "strategi.md", tranche="municipality",
                                municipality="Havvik", actor_role="administration",
                                language="en")])
    report = ingest_case(folder, store, progress=False)
    assert {o.doc_id: o.action for o in report.outcomes} == {"int1": "resegmented",
                                                            "pol1": "resegmented"}
    assert store.segments("testcase", kind="turn").empty
    assert store.documents("testcase").set_index("doc_id").loc["pol1", "language"] == "en"


def test_bad_files_are_reported_and_the_rest_is_ingested(make_case, store, tmp_path):
    files = {
        "ok.txt": "Et godt dokument.",
        "tom.txt": "",
        "binær.txt": b"\x00\x01\x02\x03binary\x00" * 50,
        "skadet.pdf": b"%PDF-1.4\nthis is not really a pdf",
        "skadet.docx": b"PK\x03\x04 not a real docx",
        "ukjent.xyz": "hva er dette",
        "ok.docx": _docx_bytes(tmp_path, ["Møte i rådet.", "Vedtak: godkjent."]),
    }
    rows = [row(Path(name).stem.replace("æ", "ae") + Path(name).suffix.replace(".", "_"),
                name) for name in files]
    rows.append(row("mangler", "finnes_ikke.txt"))
    rows.append(row("feil_tranche", "ok.txt", tranche="nowhere"))
    folder = make_case(files=files, rows=rows)
    report = ingest_case(folder, store, progress=False)
    assert not report.ok
    actions = {o.doc_id: o.action for o in report.outcomes}
    assert actions["ok_txt"] == "added" and actions["ok_docx"] == "added"
    failures = "\n".join(report.failures)
    assert "tom.txt: the file is empty" in failures
    assert "binær.txt: the file is binary" in failures
    assert "skadet.pdf: the PDF is damaged" in failures
    assert "skadet.docx: the .docx file cannot be opened" in failures
    assert "ukjent.xyz: unknown file extension '.xyz'" in failures
    assert "manifest.csv:9: file 'finnes_ikke.txt' does not exist" in failures
    assert "manifest.csv:10: unknown tranche 'nowhere'" in failures
    assert len(report.failures) == 7
    assert set(store.documents("testcase")["doc_id"]) == {"ok_txt", "ok_docx"}
    run = store.runs("testcase").iloc[0]
    assert run["status"] == "partial"
    messages = store.run_messages(int(run["run_id"]))
    assert (messages["level"] == "error").sum() == 7


def test_document_text_never_appears_in_messages(make_case, store):
    secret = "Fødselsnummeret mitt er hemmelig"
    folder = make_case(files={"a.txt": secret.encode("utf-8") + b"\x00" * 20},
                       rows=[row("a", "a.txt")])
    report = ingest_case(folder, store, progress=False)
    assert secret not in "\n".join(report.failures)


def test_unexpected_exception_in_one_document_does_not_stop_the_case(make_case, store,
                                                                      monkeypatch):
    import casekit.ingest as ingest_module

    real = ingest_module.read_document

    def flaky(path):
        if path.name == "strategi.md":
            raise RuntimeError("library bug")
        return real(path)

    monkeypatch.setattr(ingest_module, "read_document", flaky)
    report = ingest_case(make_case(), store, progress=False)
    assert {o.doc_id: o.action for o in report.outcomes} == {"int1": "added",
                                                            "pol1": "failed"}
    assert "unexpected RuntimeError" in report.failures[0]


def test_invalid_case_yaml_stores_nothing(make_case, store):
    folder = make_case(case_yaml="id: testcase\n")
    report = ingest_case(folder, store, progress=False)
    assert not report.ok and "required key 'title' is missing" in report.failures[0]
    assert store.cases().empty


def test_orphans_and_unlisted_files_are_reported_not_deleted(make_case, store):
    folder = make_case()
    ingest_case(folder, store, progress=False)
    (folder / "ny.txt").write_text("Ikke i manifestet.")
    write_manifest(folder, [row("int1", "intervju.txt", kind="interview",
                                actor_role="network")])
    report = ingest_case(folder, store, progress=False)
    assert report.orphaned == ["pol1"] and report.unlisted == ["ny.txt", "strategi.md"]
    assert set(store.documents("testcase")["doc_id"]) == {"int1", "pol1"}


def test_every_format_ingests(make_case, store, tmp_path):
    files = {
        "a.txt": "Notat om samarbeid.".encode("cp1252"),
        "b.md": POLICY,
        "c.docx": _docx_bytes(tmp_path, ["Første avsnitt.", "Andre avsnitt."]),
        "d.html": "<html><body><p>Møtebok &amp; vedtak.</p><script>x()</script></body></html>",
        "e.vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Kari>Hei.\n\n"
                 "00:00:03.000 --> 00:00:04.000\n<v Ola>Hallo.\n",
        "f.srt": "1\n00:00:01,000 --> 00:00:02,000\nKari: Hei.\n\n2\n00:00:03,000 --> "
                 "00:00:04,000\nOla: Hallo.\n",
        "g.rtf": r"{\rtf1\ansi\ansicpg1252 Bj\'f8rkeli kommune.\par}",
    }
    rows = [row(Path(n).stem, n, kind="interview" if n[-3:] in ("vtt", "srt") else "memo")
            for n in files]
    report = ingest_case(make_case(files=files, rows=rows), store, progress=False)
    assert report.ok, report.failures
    texts = {d: store.document_text("testcase", d) for d in "abcdefg"}
    assert texts["a"] == "Notat om samarbeid."
    assert texts["d"] == "Møtebok & vedtak."
    assert texts["g"] == "Bjørkeli kommune."
    turns = store.segments("testcase", kind="turn", doc_id="e")
    assert list(turns["speaker"]) == ["Kari", "Ola"] and list(turns["text"]) == ["Hei.",
                                                                                "Hallo."]
    assert list(turns["time_start"]) == ["00:00:01.000", "00:00:03.000"]


def test_find_cases(make_case, tmp_path):
    make_case(case_id="alpha")
    make_case(case_id="beta")
    (tmp_path / "corpora" / "not_a_case").mkdir()
    assert [p.name for p in find_cases(tmp_path / "corpora")] == ["alpha", "beta"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_encodings_survive_into_the_store(make_case, store, encoding):
    text = "Æ Ø Å æ ø å: samarbeid på tvers av kommunegrensene."
    folder = make_case(files={"a.txt": text.encode(encoding)}, rows=[row("a", "a.txt")])
    ingest_case(folder, store, progress=False)
    assert store.document_text("testcase", "a") == text
