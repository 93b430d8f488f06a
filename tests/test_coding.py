"""Coding a case into the store: proposals, incremental runs, decisions kept, failures."""

from __future__ import annotations

import sqlite3
from importlib import resources

import pytest

from casekit.codebook import Codebook
from casekit.coding import code_case
from casekit.ingest import ingest_case
from casekit.store import SCHEMA_VERSION, Store
from tests.conftest import REPO, row

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"

INTERVIEW = """\
Intervju om styring.

Forsker: Hvordan jobber dere med målene?

Kari: Målene settes hvert år. Vi samarbeider med nabokommunene.

Forsker: Og resultatene?

Kari: Resultatindikatorene viser fremgang. Mobilnettet er dårlig her.
"""


@pytest.fixture
def codebook():
    return Codebook.load(MINI)


@pytest.fixture
def coded_store(make_case, store, codebook):
    files = {"intervju.txt": INTERVIEW, "plan.md": "Målstyring er viktig.\n\nVi sparte "
                                                    "40 kroner per innbygger."}
    rows = [row("int", "intervju.txt", kind="interview", actor_role="administration"),
            row("plan", "plan.md", kind="policy")]
    folder = make_case(files=files, rows=rows)
    ingest_case(folder, store, progress=False)
    report = code_case(store, "testcase", [codebook], progress=False)
    assert report.ok
    store.folder = folder  # for tests that edit the case
    return store


def _auto(store):
    codings = store.codings("testcase")
    return codings[codings["origin"] == "auto"]


def test_proposals_are_stored_with_rule_and_provenance(coded_store, codebook):
    codings = _auto(coded_store)
    assert set(codings["status"]) == {"proposed"} and set(codings["coder"]) == {"auto"}
    found = {(r.doc_id, r.code_id, r.quote) for r in codings.itertuples()}
    assert ("int", "NPM.goals", "Målene settes hvert år.") in found
    assert ("int", "NPM", "Resultatindikatorene viser fremgang.") in found
    assert ("plan", "NPM", "Målstyring er viktig.") in found
    assert ("plan", "NPM.value", "Vi sparte 40 kroner per innbygger.") in found
    # NPG codes whole turns; the turn with "mobilnettet" is vetoed by the exclusion.
    npg = codings[codings["code_id"] == "NPG"]
    assert list(npg["quote"]) == ["Målene settes hvert år. Vi samarbeider med nabokommunene."]
    assert list(npg["unit"]) == ["turn"] and list(npg["speaker"]) == ["Kari"]
    goals = codings[codings["code_id"] == "NPM.goals"].iloc[0]
    assert goals["rule"] == "lemma:mål" and goals["matched"] == "Målene" and goals["n_hits"] == 1
    versions = coded_store.codebooks()
    assert list(versions["sha256"]) == [codebook.sha256] and versions.loc[0, "codes"] == 4
    run = coded_store.runs("testcase").iloc[0]
    assert run["kind"] == "code" and run["status"] == "ok"
    assert run["parameters"]["codebooks"][0]["sha256"] == codebook.sha256
    assert "simplemma" in run["software"]


def test_interviewer_turns_are_not_coded_unless_asked(coded_store, codebook):
    assert "Hvordan jobber dere med målene?" not in set(_auto(coded_store)["quote"])
    code_case(coded_store, "testcase", [codebook], include_interviewer=True, progress=False)
    assert "Hvordan jobber dere med målene?" in set(_auto(coded_store)["quote"])


def test_unchanged_documents_are_skipped(coded_store, codebook):
    before = _auto(coded_store)[["coding_id", "updated_at"]]
    report = code_case(coded_store, "testcase", [codebook], progress=False)
    assert (report.coded, report.skipped) == (0, 2)
    assert _auto(coded_store)[["coding_id", "updated_at"]].equals(before)
    forced = code_case(coded_store, "testcase", [codebook], force=True, progress=False)
    assert forced.coded == 2 and forced.counts["mini"]["kept"] == len(before)


def _decide(store, coding_id, status):
    with store.transaction() as conn:
        conn.execute("UPDATE codings SET status = ?, decided_by = 'kari' WHERE id = ?",
                     (status, coding_id))


def test_new_codebook_version_keeps_decisions_and_manual_codings(coded_store, tmp_path):
    codings = _auto(coded_store).set_index("quote")
    accepted = int(codings.loc["Målstyring er viktig.", "coding_id"])
    rejected = int(codings.loc["Resultatindikatorene viser fremgang.", "coding_id"])
    _decide(coded_store, accepted, "accepted")
    _decide(coded_store, rejected, "rejected")
    manual = coded_store.add_coding("testcase", "plan", 0, 10, codebook_id="mini",
                                    code_id="NPG", coder="kari")
    # Version 2 drops the indicator glob and målstyr*: their proposals disappear unless
    # a human decided on them.
    changed = tmp_path / "mini2.yaml"
    changed.write_text(MINI.read_text().replace('"*indikator*", "*indicator*", "målstyr*", ',
                                                "").replace('"1.0"', '"2.0"'))
    report = code_case(coded_store, "testcase", [Codebook.load(changed)], progress=False)
    assert report.coded == 2
    after = coded_store.codings("testcase").set_index("coding_id")
    assert after.loc[accepted, "status"] == "accepted"
    assert after.loc[rejected, "status"] == "rejected"
    assert after.loc[manual, "origin"] == "manual"
    assert len(coded_store.codebooks()) == 2  # every version used is kept


def test_same_proposal_again_keeps_its_row_and_decision(coded_store, codebook):
    target = _auto(coded_store).set_index("quote").loc["Målene settes hvert år."]
    _decide(coded_store, int(target["coding_id"]), "rejected")
    code_case(coded_store, "testcase", [codebook], force=True, progress=False)
    again = _auto(coded_store)
    same = again[again["quote"] == "Målene settes hvert år."]
    assert list(same["coding_id"]) == [target["coding_id"]]
    assert list(same["status"]) == ["rejected"]


def test_changed_text_reanchors_decisions_and_replaces_proposals(coded_store, codebook):
    codings = _auto(coded_store).set_index("quote")
    accepted = int(codings.loc["Resultatindikatorene viser fremgang.", "coding_id"])
    _decide(coded_store, accepted, "accepted")
    folder = coded_store.folder
    (folder / "intervju.txt").write_text(INTERVIEW.replace("Intervju om styring.",
                                                           "Intervju om styring i Havvik."))
    ingest_case(folder, coded_store, progress=False)
    stale = coded_store.codings("testcase")
    assert stale.set_index("coding_id").loc[accepted, "stale"] == 1
    report = code_case(coded_store, "testcase", [codebook], progress=False)
    assert report.coded == 1 and report.counts["mini"]["reanchored"] == 1
    after = coded_store.codings("testcase").set_index("coding_id")
    assert after.loc[accepted, "stale"] == 0 and after.loc[accepted, "status"] == "accepted"
    text = coded_store.document_text("testcase", "int")
    assert text[after.loc[accepted, "start"]:after.loc[accepted, "end"]] == (
        "Resultatindikatorene viser fremgang.")
    assert not after["stale"].any()  # stale undecided proposals were replaced
    audit = coded_store.execute("SELECT action FROM audit WHERE row_id = ?", (accepted,))
    assert "reanchor" in [r[0] for r in audit]


def test_a_failing_document_is_reported_and_the_rest_coded(make_case, store, codebook,
                                                           monkeypatch):
    ingest_case(make_case(), store, progress=False)
    from casekit import coding as coding_module

    real = coding_module.CompiledCodebook.propose

    def flaky(self, text, language, units):
        if "Strategi" in text:
            raise RuntimeError("matcher bug")
        return real(self, text, language, units)

    monkeypatch.setattr(coding_module.CompiledCodebook, "propose", flaky)
    report = code_case(store, "testcase", [codebook], progress=False)
    assert not report.ok and report.coded == 1
    assert report.failures == ["pol1: coding with mini failed: RuntimeError: matcher bug"]
    run = store.runs("testcase").iloc[0]
    assert run["status"] == "partial"
    assert "matcher bug" in store.run_messages(int(run["run_id"]))["message"][0]
    # The failed document is tried again next time.
    monkeypatch.setattr(coding_module.CompiledCodebook, "propose", real)
    assert code_case(store, "testcase", [codebook], progress=False).coded == 1


def test_unknown_case(store, codebook):
    from casekit.errors import StoreError

    with pytest.raises(StoreError, match="not in the store"):
        code_case(store, "nope", [codebook], progress=False)


def test_version_1_store_is_migrated_without_losing_codings(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    sql = (resources.files("casekit.store") / "migrations" / "0001_initial.sql").read_text()
    conn.executescript("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at "
                       f"TEXT NOT NULL);\n{sql}\nINSERT INTO schema_version VALUES (1, 'then');")
    conn.executescript(
        "INSERT INTO cases VALUES ('c','C','','nb','/x','{}','h','t','t');"
        "INSERT INTO documents (id, case_id, doc_id, file, source_path, kind, tranche, language,"
        " title, reader, raw_sha256, raw_bytes, text_sha256, text_version, segmenter, n_chars,"
        " n_words, ingested_at, updated_at) VALUES (1,'c','d','f','/x/f','memo','t','nb','T',"
        "'text','r',1,'s',1,'1',4,1,'t','t');"
        "INSERT INTO codings (document_id, start, \"end\", codebook_id, code_id, coder, origin,"
        " status, quote, text_version, created_at, updated_at) VALUES (1,0,4,'gl','NPM','kari',"
        "'manual','accepted','Test',1,'t','t');")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        codings = store.codings()
        assert list(codings["quote"]) == ["Test"] and list(codings["n_hits"]) == [0]
