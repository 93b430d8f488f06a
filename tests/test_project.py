"""The Python API for human coding: codings, decisions, memos, and the audit trail."""

from __future__ import annotations

import sqlite3
from importlib import resources

import pytest

from casekit.codebook import Codebook
from casekit.coding import code_case
from casekit.errors import StoreError, UsageError
from casekit.ingest import ingest_case
from casekit.project import Project, load_codebook, open_project, snap_to_words
from casekit.store import SCHEMA_VERSION, Store
from casekit.store import human as human_store
from tests.conftest import row
from tests.test_coding import INTERVIEW, MINI

# The same small case the coding tests use.
PLAN = "Målstyring er viktig.\n\nVi sparte 40 kroner per innbygger."


def build_coded_store(make_case, store: Store) -> Store:
    """Ingest a two-document case and auto-code it with the mini codebook.

    Proposals (hand-checked): int 70..93 NPM.goals, int 70..127 NPG (turn),
    int 161..197 NPM, plan 0..21 NPM, plan 23..57 NPM.value.
    """
    rows = [row("int", "intervju.txt", kind="interview", actor_role="administration"),
            row("plan", "plan.md", kind="policy", tranche="municipality",
                municipality="Havvik", actor_role="politician")]
    folder = make_case(files={"intervju.txt": INTERVIEW, "plan.md": PLAN}, rows=rows)
    ingest_case(folder, store, progress=False)
    assert code_case(store, "testcase", [Codebook.load(MINI)], progress=False).ok
    store.folder = folder  # for tests that change the case's files
    return store


def proposal(store: Store, doc_id: str, code_id: str) -> int:
    """Return the id of the auto proposal of a code in a document."""
    codings = store.document_codings("testcase", doc_id)
    match = codings[(codings["code_id"] == code_id) & (codings["origin"] == "auto")]
    return int(match["coding_id"].iloc[0])


@pytest.fixture
def coded(make_case, store):
    return build_coded_store(make_case, store)


@pytest.fixture
def kari(coded):
    return Project(coded, coder="kari", codebook=MINI)


# -- snapping ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "start", "end", "expected"), [
    ("Vi samarbeider med nabokommunene.", 5, 22, (3, 32)),   # both ends inside words
    ("Vi samarbeider med nabokommunene.", 3, 14, (3, 14)),   # already whole words
    ("Vi samarbeider med nabokommunene.", 2, 19, (3, 18)),   # spaces at both ends trimmed
    ("Det er ikt-samarbeidet her", 11, 14, (7, 22)),         # hyphenated compound stays whole
    ("Kari's plan - ny", 2, 4, (0, 6)),                      # apostrophe inside a word
    ("plan - ny", 0, 6, (0, 6)),                             # a free-standing dash is a word edge
    ("Målene settes", 1, 2, (0, 6)),                         # æøå are letters
])
def test_snap_to_words(text, start, end, expected):
    assert snap_to_words(text, start, end) == expected


@pytest.mark.parametrize(("start", "end", "message"), [
    (2, 3, "only whitespace"), (-1, 3, "outside the text"), (3, 99, "outside the text"),
    (4, 4, "outside the text")])
def test_snap_rejects_bad_spans(start, end, message):
    with pytest.raises(UsageError, match=message):
        snap_to_words("ab   cd", start, end)


# -- codings ----------------------------------------------------------------------------

def test_add_coding_snaps_stamps_and_audits(kari, coded):
    coding_id = kari.add_coding("int", 100, 115, "NPG", memo="nabosamarbeid")
    row_ = coded.coding(coding_id)
    assert (row_["start"], row_["end"], row_["quote"]) == (97, 126,
                                                           "samarbeider med nabokommunene")
    assert (row_["coder"], row_["origin"], row_["status"], row_["memo"]) == (
        "kari", "manual", "accepted", "nabosamarbeid")
    assert row_["codebook"] == int(coded.codebooks().iloc[0]["codebook"])  # version used
    history = kari.history()
    added = history[history["action"] == "add"].iloc[0]
    assert (added["coder"], added["row_id"], added["doc_id"], added["code_id"],
            added["start"], added["end"], added["source"]) == (
        "kari", coding_id, "int", "NPG", 97, 126, "python")
    assert added["after"]["quote"] == "samarbeider med nabokommunene"


def test_add_coding_without_snapping_keeps_offsets(kari, coded):
    coding_id = kari.add_coding("int", 100, 115, "NPG", snap=False)
    assert coded.coding(coding_id)["quote"] == "arbeider med na"


@pytest.mark.parametrize(("args", "error", "message"), [
    (("int", 0, 10, "NPX"), UsageError, "unknown code 'NPX' \\(not in codebook mini\\)"),
    (("nope", 0, 10, "NPG"), StoreError, "document 'nope' of case 'testcase'"),
    (("int", 0, 999, "NPG"), UsageError, "outside the text"),
    (("int", 20, 22, "NPG"), UsageError, "only whitespace"),
])
def test_bad_codings_store_nothing(kari, coded, args, error, message):
    before = len(coded.document_codings("testcase"))
    with pytest.raises(error, match=message):
        kari.add_coding(*args)
    assert len(coded.document_codings("testcase")) == before
    assert kari.history().empty


def test_a_failed_audit_write_rolls_the_coding_back(kari, coded, monkeypatch):
    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setattr(human_store, "_audit", broken)
    with pytest.raises(sqlite3.OperationalError):
        kari.add_coding("int", 97, 108, "NPG")
    assert list(coded.document_codings("testcase", "int")["origin"]) == ["auto"] * 3


def test_removed_coding_stays_in_the_history_and_its_id_is_not_reused(kari, coded):
    coding_id = kari.add_coding("plan", 23, 25, "NPM.value")
    removed = kari.remove_coding(coding_id, reason="wrong code")
    assert removed["quote"] == "Vi" and removed["code_id"] == "NPM.value"
    assert coding_id not in set(coded.document_codings("testcase")["coding_id"])
    history = kari.history(coding_id=coding_id)
    assert list(history["action"]) == ["add", "remove"]
    gone = history.iloc[1]
    assert (gone["code_id"], gone["doc_id"], gone["start"], gone["end"]) == (
        "NPM.value", "plan", 23, 25)
    assert gone["before"]["quote"] == "Vi" and gone["after"]["reason"] == "wrong code"
    # The removed coding was the newest row: SQLite would hand its id out again.
    again = kari.add_coding("plan", 23, 25, "NPM.value")
    assert again == coding_id + 1
    assert list(kari.history(coding_id=coding_id)["action"]) == ["add", "remove"]


def test_remove_refuses_proposals_and_other_coders_codings(kari, coded):
    auto = proposal(coded, "int", "NPG")
    with pytest.raises(StoreError, match=f"coding {auto} is an auto proposal: reject it"):
        kari.remove_coding(auto)
    ola_id = Project(coded, coder="ola", codebook=MINI).add_coding("plan", 0, 10, "NPM")
    with pytest.raises(UsageError, match=f"coding {ola_id} is ola's"):
        kari.remove_coding(ola_id)
    with pytest.raises(StoreError, match="coding 999 is not in the store"):
        kari.remove_coding(999)
    assert ola_id in set(coded.document_codings("testcase")["coding_id"])


def test_accept_and_reject_are_stamped_and_survive_auto_coding_again(kari, coded):
    goals, npg = proposal(coded, "int", "NPM.goals"), proposal(coded, "int", "NPG")
    kari.accept(goals)
    kari.reject(npg, reason="not about networks")
    assert coded.coding(goals)["status"] == "accepted"
    assert coded.coding(goals)["decided_by"] == "kari" and coded.coding(goals)["decided_at"]
    assert code_case(coded, "testcase", [Codebook.load(MINI)], force=True,
                     progress=False).ok
    assert coded.coding(goals)["status"] == "accepted"
    assert coded.coding(npg)["status"] == "rejected"
    history = kari.history()
    assert list(history["action"]) == ["accept", "reject"]
    assert list(history["status_before"]) == ["proposed", "proposed"]
    assert list(history["status_after"]) == ["accepted", "rejected"]
    assert history.iloc[1]["after"]["reason"] == "not about networks"
    # A second coder changes the decision; both decisions stay in the history.
    Project(coded, coder="ola", codebook=MINI).accept(npg)
    changes = kari.history(coding_id=npg)
    assert list(zip(changes["coder"], changes["status_after"], strict=True)) == [
        ("kari", "rejected"), ("ola", "accepted")]


def test_manual_codings_are_not_accepted_or_rejected(kari):
    coding_id = kari.add_coding("plan", 0, 10, "NPM")
    with pytest.raises(StoreError, match="manual coding by kari"):
        kari.reject(coding_id)


def test_codings_of_another_case_are_refused(kari, coded, make_case):
    ingest_case(make_case(case_id="other"), coded, progress=False)
    ola = Project(coded, coder="ola", case_id="other", codebook=MINI)
    other = ola.add_coding("int1", 0, 8, "NPM")
    with pytest.raises(UsageError, match=f"coding {other} belongs to case 'other'"):
        kari.accept(other)
    assert list(kari.history()["case_id"]) == []
    assert list(ola.history()["case_id"]) == ["other"]


# -- memos ------------------------------------------------------------------------------

def test_memos_on_every_target(kari, coded):
    goals = proposal(coded, "int", "NPM.goals")
    ids = [kari.memo("Casen handler om tillit."),
           kari.memo("Lederen snakker om mål.", doc_id="int"),
           kari.memo("Her kommer innsparingen.", doc_id="plan", start=23, end=57),
           kari.memo("Brukes for tallfestet gevinst.", code_id="NPM.value"),
           kari.memo("Riktig, men tynt.", coding_id=goals, title="NPM.goals")]
    memos = kari.memos()
    assert list(memos["memo_id"]) == ids
    assert list(memos["target"]) == ["case", "document", "document", "code", "coding"]
    assert list(memos["doc_id"].fillna("-")) == ["-", "int", "plan", "-", "int"]
    assert memos.iloc[2][["start", "end"]].tolist() == [23, 57]
    assert memos.iloc[3][["codebook_id", "code_id"]].tolist() == ["mini", "NPM.value"]
    assert memos.iloc[4]["coding_id"] == goals and not memos.iloc[4]["coding_removed"]
    assert list(kari.memos(doc_id="plan")["memo_id"]) == [ids[2]]
    assert list(kari.history()["action"]) == ["memo"] * 5


def test_a_memo_outlives_its_coding(kari, coded):
    coding_id = kari.add_coding("plan", 0, 10, "NPM")
    kari.memo("Tvilsom.", coding_id=coding_id)
    kari.remove_coding(coding_id)
    memo = kari.memos().iloc[0]
    assert memo["coding_id"] == coding_id and memo["coding_removed"]
    assert memo["text"] == "Tvilsom." and memo["doc_id"] == "plan"


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"text": "  "}, UsageError, "a memo needs some text"),
    ({"text": "x", "doc_id": "int", "start": 3}, UsageError, "give both start and end"),
    ({"text": "x", "start": 3, "end": 5}, UsageError, "needs its doc_id"),
    ({"text": "x", "code_id": "NPX"}, UsageError, "unknown code 'NPX'"),
    ({"text": "x", "coding_id": 999}, StoreError, "coding 999 is not in the store"),
    ({"text": "x", "doc_id": "nope"}, StoreError, "document 'nope'"),
    ({"text": "x", "doc_id": "plan", "start": 50, "end": 90}, StoreError, "outside the text"),
])
def test_bad_memos_store_nothing(kari, kwargs, error, message):
    with pytest.raises(error, match=message):
        kari.memo(**kwargs)
    assert kari.memos().empty and kari.history().empty


# -- opening ----------------------------------------------------------------------------

@pytest.mark.parametrize(("coder", "message"), [
    ("", "give a coder name"), ("  ", "give a coder name"), ("auto", "casekit's own name"),
    ("Casekit", "casekit's own name"), ("kari,ola", "must not contain")])
def test_bad_coder_names(coded, coder, message):
    with pytest.raises(UsageError, match=message):
        Project(coded, coder=coder)


def test_open_project_and_case_choice(coded, make_case, tmp_path):
    with open_project(coded.path, coder=" kari ") as project:
        assert project.coder == "kari" and project.case_id == "testcase"
        assert project.codebook.id == "mini"  # the store's only codebook
    ingest_case(make_case(case_id="other"), coded, progress=False)
    with open_project(coded.path, coder="kari") as project, \
            pytest.raises(UsageError, match="several cases .* other, testcase"):
        project.history()
    with pytest.raises(StoreError, match="case 'nope' is not in the store"):
        open_project(coded.path, coder="kari", case_id="nope")
    with pytest.raises(StoreError, match="no store at this path"):
        open_project(tmp_path / "missing.db", coder="kari")


def test_load_codebook(coded, tmp_path):
    assert load_codebook(coded, "mini").sha256 == Codebook.load(MINI).sha256
    assert load_codebook(coded, str(MINI)).id == "mini"
    with pytest.raises(UsageError, match="'gl' is neither a codebook file nor a codebook "
                                         "in the store \\(stored: mini\\)"):
        load_codebook(coded, "gl")
    second = tmp_path / "other.yaml"
    second.write_text(MINI.read_text().replace("id: mini", "id: other"))
    coded.save_codebook(Codebook.load(second))
    with pytest.raises(UsageError, match="several codebooks"):
        load_codebook(coded, None)
    with pytest.raises(UsageError, match="several codebooks \\(other, mini\\)"):
        Project(coded, coder="kari")
    assert Project(coded, coder="kari", codebook="other").codebook.id == "other"


# -- schema -----------------------------------------------------------------------------

def test_version_2_store_migrates_memos_audit_and_ids(tmp_path):
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT"
                 " NOT NULL)")
    for version, name in ((1, "0001_initial.sql"), (2, "0002_coding.sql")):
        sql = (resources.files("casekit.store") / "migrations" / name).read_text()
        conn.executescript(f"{sql}\nINSERT INTO schema_version VALUES ({version}, 'then');")
    conn.executescript(
        "INSERT INTO cases VALUES ('c','C','','nb','/x','{}','h','t','t');"
        "INSERT INTO documents (id, case_id, doc_id, file, source_path, kind, tranche,"
        " language, title, reader, raw_sha256, raw_bytes, text_sha256, text_version,"
        " segmenter, n_chars, n_words, ingested_at, updated_at) VALUES (1,'c','d','f',"
        "'/x/f','memo','t','nb','T','text','r',1,'s',1,'1',4,1,'t','t');"
        "INSERT INTO document_texts VALUES (1, 1, 's', 'r', 'Test', 't');"
        "INSERT INTO codings (id, document_id, start, \"end\", codebook_id, code_id, coder,"
        " origin, status, quote, text_version, created_at, updated_at) VALUES"
        " (3, 1,0,4,'gl','NPM','kari','manual','accepted','Test',1,'t','t');"
        "INSERT INTO memos (case_id, target, document_id, coding_id, coder, text,"
        " created_at, updated_at) VALUES ('c','coding',1,3,'kari','Hm.','t','t');"
        "INSERT INTO audit (at, actor, action, table_name, row_id, after) VALUES"
        " ('t','kari','add','codings',3,'{\"code_id\": \"NPM\"}'),"
        " ('t','kari','remove','codings',7,'{}');")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 3
        assert list(store.codings()["quote"]) == ["Test"]
        memo = store.memos("c").iloc[0]
        assert memo["coding_id"] == 3 and not memo["coding_removed"]
        # The add is attributed to its case and document; the removal of a coding whose
        # row is gone (before version 3) cannot be, and stays in the unfiltered history.
        history = store.history("c")
        assert list(history["change_id"]) == [1]
        assert history.iloc[0][["case_id", "doc_id", "code_id"]].tolist() == ["c", "d", "NPM"]
        assert list(store.history()["change_id"]) == [1, 2]
        # Id 7 was used by a coding removed before the upgrade: it is not given out again.
        new = store.add_manual_coding("c", "d", 0, 4, codebook_id="gl", code_id="NPG",
                                      coder="ola")
        assert new == 8
