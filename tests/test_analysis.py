"""Analyses on a small hand-coded case: every number below is worked out by hand.

The case (tranches network, interplay, municipality; municipalities Havvik, Bjørkeli):

d1 network, policy, actor network, 2025-01-15 (11 words)
    S1 [0, 27)  "Kommunene samarbeider tett."       3 words  NPG (manual, accepted)
    S2 [28, 44) "Målene er klare."                  3 words  NPM.goals (auto, proposed)
    S3 [46, 75) "Vi måler resultater hvert år."     5 words  NPM.goals (auto), NPG (auto),
                                                             NPM (manual, accepted)
d2 municipality Havvik, interview, actor politician, 2026-02-10
    S1 [9, 38)    interviewer, 5 words              NPG (auto): interviewer speech
    S2 [46, 77)   Kari, 4 words                     NPG (manual, accepted)
    S3 [78, 105)  Kari, 3 words                     NPG (auto, proposed)
    S4 [116, 126) interviewer, 2 words
    S5 [134, 152) Kari, 3 words                     NPM.goals auto REJECTED,
                                                    NPM.goals manual PROPOSED
d3 municipality Bjørkeli, policy, actor administration, 2026-03-01
    S1 [0, 31) "Planen vedtas av kommunestyret."    4 words  NPM (manual, accepted, per)

By default interviewer speech is left out: 7 sentences, 3 + 3 + 5 + 4 + 3 + 3 + 4 = 25
words. Counted codings: 8 of 11 (not the interviewer's, the rejected, the manual
proposal). At the top level: NPM in d1S2, d1S3, d3S1; NPG in d1S1, d1S3, d2S2, d2S3.
The interplay tranche has no documents; NPM.value never fires.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from casekit import analysis
from casekit.analysis import CodingFilter
from casekit.codebook import Codebook
from casekit.errors import StoreError, UsageError
from casekit.ingest import ingest_case
from tests.conftest import REPO, loaded_modules, row

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"
CASE = "testcase"
D1 = "Kommunene samarbeider tett. Målene er klare.\n\nVi måler resultater hvert år.\n"
D2 = ("Forsker: Hva tenker du om samarbeidet?\n\nKari: Vi samarbeider med innbyggerne. "
      "Kommunen bestemmer likevel.\n\nForsker: Og målene?\n\nKari: Målene styrer alt.\n")
D3 = "Planen vedtas av kommunestyret.\n"
H_1_2 = -(1 / 3 * math.log2(1 / 3) + 2 / 3 * math.log2(2 / 3))  # entropy of a 1:2 mix


def _proposal(code_id: str, start: int, end: int, hits: list[tuple[str, int, int]]) -> dict:
    return {"code_id": code_id, "unit": "sentence", "start": start, "end": end,
            "rule": hits[0][0], "matched": "", "n_hits": len(hits),
            "evidence": [{"rule": r, "matched": "", "start": s, "end": e} for r, s, e in hits]}


@pytest.fixture
def coded(make_case, store):
    """Return the store with the case above ingested and coded by hand."""
    folder = make_case(files={"d1.txt": D1, "d2.txt": D2, "d3.txt": D3}, rows=[
        row("d1", "d1.txt", actor_role="network", date="2025-01-15"),
        row("d2", "d2.txt", kind="interview", tranche="municipality", municipality="Havvik",
            actor_role="politician", date="2026-02-10"),
        row("d3", "d3.txt", tranche="municipality", municipality="Bjørkeli",
            actor_role="administration", date="2026-03-01")])
    ingest_case(folder, store, progress=False)
    pk = store.save_codebook(Codebook.load(MINI))
    targets = {t["doc_id"]: t for t in store.coding_targets(CASE)}
    auto = {"d1": [_proposal("NPM.goals", 28, 44, [("lemma:mål", 28, 34)]),
                   _proposal("NPM.goals", 46, 75, [("lemma:måle", 49, 54),
                                                   ("lemma:resultat", 55, 65)]),
                   _proposal("NPG", 46, 75, [("lemma:vi", 46, 48)])],
            "d2": [_proposal("NPG", 9, 38, [("lemma:samarbeid*", 25, 37)]),
                   _proposal("NPG", 78, 105, [("lemma:kommune", 78, 86)])]}
    for doc_id, proposals in auto.items():
        store.apply_auto_codings(targets[doc_id]["document_id"], codebook=pk,
                                 codebook_id="mini", text_sha256=targets[doc_id]["text_sha256"],
                                 coder_key="test", run_id=None, proposals=proposals)
    add = store.add_coding
    add(CASE, "d1", 0, 27, codebook_id="mini", code_id="NPG", coder="ola")
    add(CASE, "d1", 46, 75, codebook_id="mini", code_id="NPM", coder="ola")
    add(CASE, "d2", 46, 77, codebook_id="mini", code_id="NPG", coder="ola")
    add(CASE, "d2", 134, 152, codebook_id="mini", code_id="NPM.goals", coder="auto",
        origin="auto", status="rejected")
    add(CASE, "d2", 134, 152, codebook_id="mini", code_id="NPM.goals", coder="per",
        status="proposed")
    add(CASE, "d3", 0, 31, codebook_id="mini", code_id="NPM", coder="per")
    return store


@pytest.fixture
def empty(make_case, store):
    """Return a store with the case ingested, the codebook saved, and no codings."""
    folder = make_case(files={"d1.txt": D1}, rows=[row("d1", "d1.txt", date="2025-01-15")])
    ingest_case(folder, store, progress=False)
    store.save_codebook(Codebook.load(MINI))
    return store


def records(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(r) for r in frame[columns].itertuples(index=False)]


# -- the filter -------------------------------------------------------------------------------

def test_filter_defaults_and_validation():
    f = CodingFilter(status="accepted", coder="ola")
    assert f.status == ("accepted",) and f.coder == ("ola",) and f.origin is None
    assert analysis.DEFAULT_FILTER.status == ("accepted", "proposed")
    assert analysis.DEFAULT_FILTER.describe() == (
        "accepted + proposed (auto) codings; all codebooks; interviewer speech left out")
    with pytest.raises(UsageError, match="unknown status 'maybe'"):
        CodingFilter(status=("accepted", "maybe"))
    with pytest.raises(UsageError, match="unknown origin 'robot'"):
        CodingFilter(origin="robot")
    with pytest.raises(UsageError, match="at least one status"):
        CodingFilter(status=())


def test_code_levels():
    assert analysis.code_at("NPM.goals.sub", "top") == "NPM"
    assert analysis.code_at("NPM.goals.sub", 2) == "NPM.goals"
    assert analysis.code_at("NPM.goals.sub", "code") == "NPM.goals.sub"


# -- frequencies --------------------------------------------------------------------------------

def test_frequencies_top_level(coded):
    frame = analysis.frequencies(coded, CASE, codebook="mini")
    assert list(frame.columns) == ["code", "codings", "units", "documents", "share_of_units",
                                   "per_1000_words"]
    # NPM: codings d1S2 auto, d1S3 auto + manual, d3S1 = 4, in 3 of 7 sentences, 2 documents;
    # 3 units per 25 words = 120 per 1,000. NPG: d1S1, d1S3, d2S2, d2S3: 4 of 7; 160.
    assert records(frame, ["code", "codings", "units", "documents"]) == [
        ("NPM", 4, 3, 2), ("NPG", 4, 4, 2)]
    assert frame["share_of_units"].tolist() == pytest.approx([3 / 7, 4 / 7])
    assert frame["per_1000_words"].tolist() == pytest.approx([120.0, 160.0])


def test_frequencies_by_code_include_a_code_that_never_fires(coded):
    frame = analysis.frequencies(coded, CASE, level="code", codebook="mini")
    assert records(frame, ["code", "codings", "units", "documents"]) == [
        ("NPM", 2, 2, 2), ("NPM.goals", 2, 2, 1), ("NPM.value", 0, 0, 0), ("NPG", 4, 4, 2)]
    assert frame.loc[2, "share_of_units"] == 0.0 and frame.loc[2, "per_1000_words"] == 0.0


def test_the_filter_changes_what_counts(coded):
    def counts(f: CodingFilter) -> list[tuple]:
        frame = analysis.frequencies(coded, CASE, codebook="mini", filter=f)
        return records(frame, ["code", "codings", "units"])

    # Accepted only: NPM d1S3 (ola), d3S1 (per); NPG d1S1, d2S2.
    assert counts(CodingFilter(status="accepted")) == [("NPM", 2, 2), ("NPG", 2, 2)]
    assert counts(CodingFilter(status="accepted", coder="ola")) == [("NPM", 1, 1),
                                                                   ("NPG", 2, 2)]
    assert counts(CodingFilter(origin="auto")) == [("NPM", 2, 2), ("NPG", 2, 2)]
    # A person's proposal counts when asked: NPM.goals on d2S5.
    assert counts(CodingFilter(manual_proposals=True)) == [("NPM", 5, 4), ("NPG", 4, 4)]
    # Rejected codings only when named: the auto NPM.goals on d2S5.
    assert counts(CodingFilter(status=("accepted", "proposed", "rejected"))) == [
        ("NPM", 5, 4), ("NPG", 4, 4)]
    # Interviewer speech: 9 sentences, 32 words; the interviewer's NPG on d2S1 counts.
    frame = analysis.frequencies(coded, CASE, codebook="mini",
                                 filter=CodingFilter(include_interviewer=True))
    assert records(frame, ["code", "codings", "units"]) == [("NPM", 4, 3), ("NPG", 5, 5)]
    assert frame["per_1000_words"].tolist() == pytest.approx([3000 / 32, 5000 / 32])


def test_codebook_argument_and_filter_must_agree(coded):
    with pytest.raises(UsageError, match="contradicts"):
        analysis.frequencies(coded, CASE, codebook="mini",
                             filter=CodingFilter(codebook="other"))
    same = analysis.frequencies(coded, CASE, filter=CodingFilter(codebook="mini"))
    assert same["codings"].tolist() == [4, 4]


def test_units_of_other_kinds(coded):
    # Paragraphs: d1P1 [0, 44) NPG + NPM, d1P2 NPM + NPG, d2 Kari's paragraphs 2 (NPG)
    # and 4 (none), d3P1 NPM: 5 units, 6 + 5 + 7 + 3 + 4 = 25 words.
    frame = analysis.frequencies(coded, CASE, unit="paragraph", codebook="mini")
    assert records(frame, ["code", "units"]) == [("NPM", 3), ("NPG", 3)]
    assert frame["share_of_units"].tolist() == pytest.approx([3 / 5, 3 / 5])
    # Documents: NPM in d1, d3; NPG in d1, d2.
    frame = analysis.frequencies(coded, CASE, unit="document", codebook="mini")
    assert frame["share_of_units"].tolist() == pytest.approx([2 / 3, 2 / 3])


# -- crosstab -----------------------------------------------------------------------------------

def test_crosstab_by_tranche(coded):
    frame = analysis.crosstab(coded, CASE, "tranche", codebook="mini")
    assert list(frame.columns) == ["code", "tranche", "count", "words", "row_share",
                                   "column_share", "per_1000_words", "expected", "residual"]
    # Counts: NPM 2 / 0 / 1, NPG 2 / 0 / 2; words 11 / 0 / 14 (d2 10 + d3 4).
    assert records(frame, ["code", "tranche", "count", "words"]) == [
        ("NPM", "network", 2, 11), ("NPM", "interplay", 0, 0), ("NPM", "municipality", 1, 14),
        ("NPG", "network", 2, 11), ("NPG", "interplay", 0, 0), ("NPG", "municipality", 2, 14)]
    assert frame["row_share"].tolist() == pytest.approx([2 / 3, 0, 1 / 3, 1 / 2, 0, 1 / 2])
    assert frame["column_share"].tolist() == pytest.approx([1 / 2, 0, 1 / 3, 1 / 2, 0, 2 / 3])
    assert frame["per_1000_words"].tolist() == pytest.approx(
        [2000 / 11, 0, 1000 / 14, 2000 / 11, 0, 2000 / 14])
    # The empty interplay column takes no part: a 2 x 2 table [[2, 1], [2, 2]], N = 7,
    # margins 3, 4 (rows) and 4, 3 (columns); expected r * c / N.
    assert frame["expected"].tolist() == pytest.approx([12 / 7, 0, 9 / 7, 16 / 7, 0, 12 / 7])
    # Adjusted residual (2 - 12/7) / sqrt(12/7 * (1 - 3/7) * (1 - 4/7)) = sqrt(7) / 6; in a
    # 2 x 2 table every cell has the same size, the sign of O - E.
    r = math.sqrt(7) / 6
    assert frame["residual"].tolist() == pytest.approx([r, 0, -r, -r, 0, r])
    # chi2 = 1/21 + 4/63 + 1/28 + 1/21 = 7/36 with 1 degree of freedom: p = erfc(sqrt(x/2)).
    test = frame.attrs["chi_square"]
    assert test["chi2"] == pytest.approx(7 / 36) and test["dof"] == 1 and test["n"] == 7
    assert test["p_value"] == pytest.approx(math.erfc(math.sqrt(7 / 72)))
    assert test["cramers_v"] == pytest.approx(1 / 6)  # sqrt(chi2 / (N * 1))
    assert test["min_expected"] == pytest.approx(9 / 7) and test["low_expected_share"] == 1.0
    again = analysis.chi_square(frame)
    assert list(again.columns) == ["chi2", "dof", "p_value", "n", "cramers_v", "min_expected",
                                   "low_expected_share"]
    assert again.loc[0, "chi2"] == pytest.approx(7 / 36)


@pytest.mark.parametrize("counts", [
    [[2, 1], [2, 2]],                                   # the crosstab above
    [[12, 3], [17, 16]],                                # 2 x 2, one degree of freedom
    [[10, 10, 20], [20, 20, 20]],                       # 2 x 3
    [[0, 5, 9, 1], [7, 0, 2, 3], [4, 4, 0, 12]],        # 3 x 4 with empty cells
    [[40, 1], [1, 40]],                                 # p far below 1e-10
    [[5, 5], [5, 5]],                                   # independent: chi2 0, p 1
    [[3, 0, 2], [0, 0, 0], [1, 0, 4]],                  # an empty row and column drop out
])
def test_chi_square_matches_scipy(counts):
    stats = pytest.importorskip("scipy.stats")
    observed = np.array(counts, dtype=float)
    table = pd.DataFrame([{"code": f"c{r}", "by": f"b{c}", "count": n}
                          for (r, c), n in np.ndenumerate(observed)])
    test = analysis.chi_square(table, by="by").iloc[0]
    kept = observed[observed.sum(axis=1) > 0][:, observed.sum(axis=0) > 0]
    chi2, p_value, dof, expected = stats.chi2_contingency(kept, correction=False)
    assert test["chi2"] == pytest.approx(chi2, rel=1e-12, abs=1e-12)
    assert test["p_value"] == pytest.approx(p_value, rel=1e-12)
    assert test["dof"] == dof and test["n"] == observed.sum()
    assert test["min_expected"] == pytest.approx(expected.min(), rel=1e-12)


def test_crosstab_does_not_import_scipy_stats():
    # scipy.stats costs a report kernel about half a second to import.
    code = ("import numpy as np; from casekit.analysis.counts import _contingency; "
            "_contingency(np.array([[2.0, 1.0], [2.0, 2.0]]))")
    assert loaded_modules(code, ["scipy.stats"]) == []


def test_crosstab_by_segment_and_derived_attributes(coded):
    # Only Kari speaks outside the interviewer's turns: NPM 0, NPG 2 (d2S2, d2S3), 10 words.
    frame = analysis.crosstab(coded, CASE, "speaker", codebook="mini")
    assert records(frame, ["code", "speaker", "count", "words"]) == [
        ("NPM", "Kari", 0, 10), ("NPG", "Kari", 2, 10)]
    assert math.isnan(frame.attrs["chi_square"]["chi2"])  # one column: no test
    years = analysis.crosstab(coded, CASE, "year", codebook="mini")
    assert records(years, ["code", "year", "count"]) == [
        ("NPM", "2025", 2), ("NPM", "2026", 1), ("NPG", "2025", 2), ("NPG", "2026", 2)]
    # The municipality of the network document is empty: it is left out.
    places = analysis.crosstab(coded, CASE, "municipality", codebook="mini")
    assert records(places, ["code", "municipality", "count"]) == [
        ("NPM", "Havvik", 0), ("NPM", "Bjørkeli", 1), ("NPG", "Havvik", 2),
        ("NPG", "Bjørkeli", 0)]


def test_crosstab_bad_attribute(coded):
    with pytest.raises(UsageError, match="unknown attribute 'colour'"):
        analysis.crosstab(coded, CASE, "colour", codebook="mini")
    with pytest.raises(UsageError, match="belongs to segments"):
        analysis.crosstab(coded, CASE, "speaker", unit="document", codebook="mini")


# -- matrices -----------------------------------------------------------------------------------

def test_code_document_matrix(coded):
    frame = analysis.code_document_matrix(coded, CASE, codebook="mini")
    assert list(frame.columns) == ["doc_id", "title", "kind", "tranche", "municipality",
                                   "actor_role", "date", "language", "words", "NPM",
                                   "NPM.goals", "NPM.value", "NPG"]
    assert records(frame, ["doc_id", "words", "NPM", "NPM.goals", "NPM.value", "NPG"]) == [
        ("d1", 11, 1, 1, 0, 1), ("d2", 10, 0, 0, 0, 1), ("d3", 4, 1, 0, 0, 0)]


def test_code_unit_matrix_by_sentence_and_turn(coded):
    frame = analysis.code_unit_matrix(coded, CASE, level="top", codebook="mini",
                                      with_text=True)
    assert frame["NPM"].tolist() == [0, 1, 1, 0, 0, 0, 1]
    assert frame["NPG"].tolist() == [1, 0, 1, 1, 1, 0, 0]
    assert frame["text"].tolist()[:2] == ["Kommunene samarbeider tett.", "Målene er klare."]
    assert frame["speaker"].tolist()[3:6] == ["Kari", "Kari", "Kari"]
    # Turns: documents without speaker turns are read by paragraph.
    turns = analysis.code_unit_matrix(coded, CASE, "turn", level="top", codebook="mini")
    assert turns["unit"].tolist() == ["paragraph", "paragraph", "turn", "turn", "paragraph"]
    assert turns["NPM"].tolist() == [1, 1, 0, 0, 1]
    assert turns["NPG"].tolist() == [1, 1, 1, 0, 0]
    with pytest.raises(UsageError, match="unit must be one of"):
        analysis.code_unit_matrix(coded, CASE, "page")


# -- co-occurrence and hybridity ----------------------------------------------------------------

def test_cooccurrence_in_sentences_and_documents(coded):
    frame = analysis.cooccurrence(coded, CASE, codebook="mini")
    assert list(frame.columns) == ["code_a", "code_b", "count", "units_a", "units_b",
                                   "jaccard", "conditional", "expected", "obs_exp"]
    # Together only in d1S3. Jaccard 1 / (3 + 4 - 1); expected 3 * 4 / 7; obs/exp 7 / 12.
    assert records(frame, ["code_a", "code_b", "count", "units_a", "units_b"]) == [
        ("NPM", "NPG", 1, 3, 4), ("NPG", "NPM", 1, 4, 3)]
    assert frame["jaccard"].tolist() == pytest.approx([1 / 6, 1 / 6])
    assert frame["conditional"].tolist() == pytest.approx([1 / 3, 1 / 4])
    assert frame["expected"].tolist() == pytest.approx([12 / 7, 12 / 7])
    assert frame["obs_exp"].tolist() == pytest.approx([7 / 12, 7 / 12])
    # Documents: NPM in d1, d3; NPG in d1, d2; together in d1: expected 2 * 2 / 3.
    docs = analysis.cooccurrence(coded, CASE, unit="document", codebook="mini")
    assert docs.loc[0, "jaccard"] == pytest.approx(1 / 3)
    assert docs.loc[0, "obs_exp"] == pytest.approx(3 / 4)
    # By code: NPM.value never fires, so every pair with it is zero.
    codes = analysis.cooccurrence(coded, CASE, level="code", codebook="mini")
    assert len(codes) == 12
    value = codes[codes["code_a"] == "NPM.value"]
    assert value["count"].sum() == 0 and value["jaccard"].sum() == 0.0
    pair = codes[(codes["code_a"] == "NPM.goals") & (codes["code_b"] == "NPM")].iloc[0]
    assert (pair["count"], pair["jaccard"]) == (1, pytest.approx(1 / 3))


def test_hybridity_per_unit(coded):
    frame = analysis.hybridity(coded, CASE, per="unit", codebook="mini")
    # Six coded sentences; only d1S3 mixes logics: NPM twice (auto goals, manual), NPG once.
    assert records(frame, ["doc_id", "seq", "logics", "logic_set", "codings", "hybrid"]) == [
        ("d1", 1, 1, "NPG", 1, False), ("d1", 2, 1, "NPM", 1, False),
        ("d1", 3, 2, "NPM+NPG", 3, True), ("d2", 2, 1, "NPG", 1, False),
        ("d2", 3, 1, "NPG", 1, False), ("d3", 1, 1, "NPM", 1, False)]
    assert frame["entropy"].tolist() == pytest.approx([0, 0, H_1_2, 0, 0, 0])


def test_hybridity_per_document_and_group(coded):
    frame = analysis.hybridity(coded, CASE, codebook="mini")
    # d1: 3 coded units, 1 hybrid, mean logics 4/3; its mix NPM 2, NPG 2: 1 bit, evenness 1.
    assert records(frame, ["doc_id", "coded_units", "hybrid_units", "logics"]) == [
        ("d1", 3, 1, 2), ("d2", 2, 0, 1), ("d3", 1, 0, 1)]
    assert frame["hybrid_share"].tolist() == pytest.approx([1 / 3, 0, 0])
    assert frame["mean_logics"].tolist() == pytest.approx([4 / 3, 1, 1])
    assert frame["entropy"].tolist() == pytest.approx([1, 0, 0])
    assert frame["evenness"].tolist() == pytest.approx([1, 0, 0])
    tranches = analysis.hybridity(coded, CASE, per="tranche", codebook="mini")
    # The municipality tranche mixes NPM 1 and NPG 2; the interplay tranche is empty.
    assert records(tranches, ["tranche", "coded_units", "hybrid_units", "logics"]) == [
        ("network", 3, 1, 2), ("interplay", 0, 0, 0), ("municipality", 3, 0, 2)]
    assert tranches["entropy"].tolist() == pytest.approx([1, 0, H_1_2])
    roles = analysis.hybridity(coded, CASE, per=["tranche", "actor_role"], codebook="mini")
    assert records(roles, ["tranche", "actor_role", "coded_units"]) == [
        ("network", "network", 3), ("municipality", "politician", 2),
        ("municipality", "administration", 1)]
    with pytest.raises(UsageError, match="per must be"):
        analysis.hybridity(coded, CASE, per=3)


# -- tranches, actors, time ---------------------------------------------------------------------

def test_tranche_profile_with_municipalities(coded):
    frame = analysis.tranche_profile(coded, CASE, municipalities=True, codebook="mini")
    assert list(frame.columns) == ["tranche", "label", "position", "municipality", "code",
                                   "units", "share", "unit_share", "per_1000_words",
                                   "coded_units", "all_units", "words", "documents"]
    assert records(frame, ["tranche", "label", "municipality", "code", "units", "all_units",
                           "words", "documents"]) == [
        ("network", "Nettverket", "", "NPM", 2, 3, 11, 1),
        ("network", "Nettverket", "", "NPG", 2, 3, 11, 1),
        ("interplay", "Samspill", "", "NPM", 0, 0, 0, 0),
        ("interplay", "Samspill", "", "NPG", 0, 0, 0, 0),
        ("municipality", "Kommunene", "", "NPM", 1, 4, 14, 2),
        ("municipality", "Kommunene", "", "NPG", 2, 4, 14, 2),
        ("municipality", "Kommunene", "Havvik", "NPM", 0, 3, 10, 1),
        ("municipality", "Kommunene", "Havvik", "NPG", 2, 3, 10, 1),
        ("municipality", "Kommunene", "Bjørkeli", "NPM", 1, 1, 4, 1),
        ("municipality", "Kommunene", "Bjørkeli", "NPG", 0, 1, 4, 1)]
    assert frame["share"].tolist() == pytest.approx([.5, .5, 0, 0, 1 / 3, 2 / 3, 0, 1, 1, 0])
    assert frame["unit_share"].tolist() == pytest.approx(
        [2 / 3, 2 / 3, 0, 0, 1 / 4, 2 / 4, 0, 2 / 3, 1, 0])
    assert frame["per_1000_words"].tolist()[:2] == pytest.approx([2000 / 11, 2000 / 11])
    assert frame["position"].tolist()[::2] == [1, 2, 3, 3, 3]


def test_tranche_shift(coded):
    frame = analysis.tranche_shift(coded, CASE, codebook="mini")
    assert records(frame, ["from_tranche", "to_tranche", "municipality", "code", "units_before",
                           "units_after"]) == [
        ("network", "interplay", "", "NPM", 2, 0), ("network", "interplay", "", "NPG", 2, 0),
        ("interplay", "municipality", "", "NPM", 0, 1),
        ("interplay", "municipality", "", "NPG", 0, 2),
        ("interplay", "municipality", "Havvik", "NPM", 0, 0),
        ("interplay", "municipality", "Havvik", "NPG", 0, 2),
        ("interplay", "municipality", "Bjørkeli", "NPM", 0, 1),
        ("interplay", "municipality", "Bjørkeli", "NPG", 0, 0)]
    assert frame["change"].tolist() == pytest.approx([-.5, -.5, 1 / 3, 2 / 3, 0, 1, 1, 0])
    rates = analysis.tranche_shift(coded, CASE, measure="per_1000_words", codebook="mini")
    assert rates.loc[0, "before"] == pytest.approx(2000 / 11) and rates.loc[0, "after"] == 0
    with pytest.raises(UsageError, match="measure must be one of"):
        analysis.tranche_shift(coded, CASE, measure="mean")


def test_trace_themes(coded):
    frame = analysis.trace_themes(coded, CASE, codebook="mini")
    assert list(frame.columns) == ["code", "in_source", "source_units", "first_tranche",
                                   "first_date", "tranches_present", "reappears_in",
                                   "municipalities", "municipality_share",
                                   "municipality_names"]
    assert records(frame, list(frame.columns)) == [
        ("NPM", True, 1, "network", "2025-01-15", 2, "municipality", 1, 0.5, "Bjørkeli"),
        ("NPM.goals", True, 2, "network", "2025-01-15", 1, "", 0, 0.0, ""),
        ("NPM.value", False, 0, "", "", 0, "", 0, 0.0, ""),
        ("NPG", True, 2, "network", "2025-01-15", 2, "municipality", 1, 0.5, "Havvik")]
    later = analysis.trace_themes(coded, CASE, source="municipality", codebook="mini")
    assert later["in_source"].tolist() == [True, False, False, True]
    assert later["reappears_in"].tolist() == ["", "", "", ""]
    with pytest.raises(UsageError, match="unknown source tranche 'council'"):
        analysis.trace_themes(coded, CASE, source="council")


def test_actor_profile(coded):
    frame = analysis.actor_profile(coded, CASE, codebook="mini")
    # Roles in the corpus format's order: politician, administration, network.
    assert records(frame, ["actor_role", "code", "units", "all_units", "words"]) == [
        ("politician", "NPM", 0, 3, 10), ("politician", "NPG", 2, 3, 10),
        ("administration", "NPM", 1, 1, 4), ("administration", "NPG", 0, 1, 4),
        ("network", "NPM", 2, 3, 11), ("network", "NPG", 2, 3, 11)]
    assert frame["share"].tolist() == pytest.approx([0, 1, 1, 0, .5, .5])
    speakers = analysis.actor_profile(coded, CASE, by="speaker_role", codebook="mini")
    assert records(speakers, ["speaker_role", "code", "units"]) == [
        ("informant", "NPM", 0), ("informant", "NPG", 2)]


def test_timeline(coded):
    frame = analysis.timeline(coded, CASE, codebook="mini")
    # 2025Q1 (d1) to 2026Q1 (d2, d3): five quarters, the three between without documents.
    assert frame["period"].tolist()[::2] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    assert frame["start"].tolist()[0] == pd.Timestamp("2025-01-01")
    assert frame["units"].tolist() == [2, 2, 0, 0, 0, 0, 0, 0, 1, 2]
    assert frame["words"].tolist()[::2] == [11, 0, 0, 0, 14]
    years = analysis.timeline(coded, CASE, freq="year", codebook="mini")
    assert records(years, ["period", "code", "units"]) == [
        ("2025", "NPM", 2), ("2025", "NPG", 2), ("2026", "NPM", 1), ("2026", "NPG", 2)]
    with pytest.raises(UsageError, match="freq must be one of"):
        analysis.timeline(coded, CASE, freq="week")


# -- words: kwic and quotes ---------------------------------------------------------------------

def test_kwic_for_a_term_is_lemma_aware(coded):
    frame = analysis.kwic(coded, CASE, "mål", window=2)
    # "Målene" (lemma mål) in d1 and in Kari's last turn; not "måler" (the verb måle), and
    # not the interviewer's "målene?".
    assert records(frame, ["doc_id", "start", "end", "left", "keyword", "right"]) == [
        ("d1", 28, 34, "samarbeider tett.", "Målene", "er klare."),
        ("d2", 134, 140, "målene? Kari:", "Målene", "styrer alt.")]
    assert frame["speaker"].tolist()[1] == "Kari"
    assert frame["tranche"].tolist() == ["network", "municipality"]
    globbed = analysis.kwic(coded, CASE, "samarbeid*", window=1)
    assert records(globbed, ["doc_id", "keyword", "right"]) == [
        ("d1", "samarbeider", "tett."), ("d2", "samarbeider", "med")]
    with_interviewer = analysis.kwic(coded, CASE, "samarbeid*",
                                     filter=CodingFilter(include_interviewer=True))
    assert with_interviewer["keyword"].tolist() == ["samarbeider", "samarbeidet",
                                                    "samarbeider"]
    phrase = analysis.kwic(coded, CASE, "resultat hvert", window=0)
    assert records(phrase, ["keyword", "left", "right"]) == [("resultater hvert", "", "")]


def test_kwic_for_a_code_shows_the_evidence(coded):
    frame = analysis.kwic(coded, CASE, code="NPM", window=1, codebook="mini")
    # NPM.goals hits: Målene (d1S2), måler and resultater (d1S3); the manual NPM coding on
    # d1S3 has no evidence: its whole passage; and d3's manual NPM coding.
    assert records(frame, ["doc_id", "code", "start", "end", "keyword"]) == [
        ("d1", "NPM.goals", 28, 34, "Målene"), ("d1", "NPM", 46, 75,
                                                "Vi måler resultater hvert år."),
        ("d1", "NPM.goals", 49, 54, "måler"), ("d1", "NPM.goals", 55, 65, "resultater"),
        ("d3", "NPM", 0, 31, "Planen vedtas av kommunestyret.")]
    empty = analysis.kwic(coded, CASE, code="NPM.value", codebook="mini")
    assert empty.empty and list(empty.columns) == [
        "doc_id", "title", "kind", "tranche", "municipality", "actor_role", "date",
        "speaker", "speaker_role", "code", "start", "end", "left", "keyword", "right"]
    with pytest.raises(UsageError, match="either a term or a code"):
        analysis.kwic(coded, CASE)
    with pytest.raises(UsageError, match="either a term or a code"):
        analysis.kwic(coded, CASE, "mål", code="NPM")


def test_quotes_are_ranked_and_spread(coded):
    frame = analysis.quotes(coded, CASE, "NPM", min_words=1, codebook="mini")
    # d1S3: 2 rules, 2 hits, accepted (ola), competing NPG: 2 + 2 + 2 - 1 = 5.
    # d1S2: 1 rule, 1 hit, proposed: 2. d3S1: manual accepted: 0 + 0 + 2 = 2, 4 words,
    # nearer 25 words than d1S2's 3. Spread: d1S3, then d3 (d1 is taken), then d1S2.
    assert records(frame, ["rank", "doc_id", "start", "score", "rules", "hits", "competing",
                           "status", "words"]) == [
        (1, "d1", 46, 5, 2, 2, 1, "accepted", 5), (2, "d3", 0, 2, 0, 0, 0, "accepted", 4),
        (3, "d1", 28, 2, 1, 1, 0, "proposed", 3)]
    assert frame["quote"].tolist()[0] == "Vi måler resultater hvert år."
    assert frame["codes"].tolist()[0] == "NPM, NPM.goals"
    assert set(frame["code"]) == {"NPM"}
    two = analysis.quotes(coded, CASE, "NPM", n=2, min_words=1, codebook="mini")
    assert two["doc_id"].tolist() == ["d1", "d3"]


def test_quotes_spread_over_speakers_and_groups(coded):
    frame = analysis.quotes(coded, CASE, "NPG", min_words=1, codebook="mini")
    # Scores: d2S2 (Kari, accepted) 2, d1S1 (accepted) 2, d2S3 (1 rule, 1 hit) 2, d1S3
    # (1 rule, 1 hit, competing NPM and NPM.goals) 0. Ties go to the longer (d2S2, 4 words),
    # then document order. d2S3 waits: Kari and d2 are taken.
    assert records(frame, ["rank", "doc_id", "start", "score"])[:2] == [
        (1, "d2", 46, 2), (2, "d1", 0, 2)]
    assert frame["speaker"].tolist()[0] == "Kari" and pd.isna(frame["speaker"].tolist()[1])
    assert frame["start"].tolist()[2:] == [78, 46]
    grouped = analysis.quotes(coded, CASE, "NPM", by="tranche", min_words=1, codebook="mini")
    assert list(grouped.columns)[:3] == ["tranche", "code", "rank"]
    assert records(grouped, ["tranche", "rank", "doc_id", "start"]) == [
        ("network", 1, "d1", 46), ("network", 2, "d1", 28), ("municipality", 1, "d3", 0)]


def test_quotes_length_bounds_and_bad_input(coded):
    # Every passage here is shorter than 8 words.
    frame = analysis.quotes(coded, CASE, "NPM", codebook="mini")
    assert frame.empty and "quote" in frame.columns
    assert analysis.quotes(coded, CASE, "NPM", max_words=4, min_words=4,
                           codebook="mini")["doc_id"].tolist() == ["d3"]
    with pytest.raises(UsageError, match="min_words <= max_words"):
        analysis.quotes(coded, CASE, "NPM", min_words=10, max_words=5)
    with pytest.raises(UsageError, match="grouped by"):
        analysis.quotes(coded, CASE, "NPM", by="colour")


# -- empty and bad input --------------------------------------------------------------------------

def test_a_case_without_codings_gives_zeros(empty):
    frame = analysis.frequencies(empty, CASE, codebook="mini")
    assert records(frame, ["code", "codings", "units"]) == [("NPM", 0, 0), ("NPG", 0, 0)]
    table = analysis.crosstab(empty, CASE, codebook="mini")
    assert len(table) == 6 and table["count"].sum() == 0 and table["residual"].sum() == 0
    assert math.isnan(table.attrs["chi_square"]["chi2"])
    assert analysis.cooccurrence(empty, CASE, codebook="mini")["count"].sum() == 0
    assert analysis.hybridity(empty, CASE, per="unit", codebook="mini").empty
    assert analysis.hybridity(empty, CASE, codebook="mini")["coded_units"].tolist() == [0]
    assert analysis.tranche_profile(empty, CASE, codebook="mini")["share"].sum() == 0
    # Two steps x 2 codes; Havvik and Bjørkeli have no material in the last tranche here,
    # so they get no step of their own (a zero profile would read as a vanished logic).
    shift = analysis.tranche_shift(empty, CASE, codebook="mini")
    assert len(shift) == 4 and shift["change"].abs().sum() == 0
    assert set(shift["municipality"]) == {""}
    assert analysis.trace_themes(empty, CASE, codebook="mini")["in_source"].sum() == 0
    assert analysis.actor_profile(empty, CASE, codebook="mini").empty  # no actor roles
    assert analysis.timeline(empty, CASE, codebook="mini")["units"].sum() == 0
    assert analysis.code_document_matrix(empty, CASE, codebook="mini")["NPM"].tolist() == [0]
    assert analysis.quotes(empty, CASE, "NPM", codebook="mini").empty


def test_no_codebook_and_no_codings_gives_empty_frames_with_columns(empty):
    for frame in (analysis.frequencies(empty, CASE, codebook="other"),
                  analysis.cooccurrence(empty, CASE, codebook="other"),
                  analysis.crosstab(empty, CASE, codebook="other"),
                  analysis.tranche_profile(empty, CASE, codebook="other"),
                  analysis.trace_themes(empty, CASE, codebook="other")):
        assert frame.empty and len(frame.columns) > 3


def test_unknown_case_and_bad_level(coded):
    with pytest.raises(StoreError, match="case 'nope' is not in the store"):
        analysis.frequencies(coded, "nope")
    with pytest.raises(UsageError, match="level must be"):
        analysis.frequencies(coded, CASE, level="sub")
    with pytest.raises(UsageError, match="must be a CodingFilter"):
        analysis.frequencies(coded, CASE, filter={"status": "accepted"})


def test_code_info_names_and_inherited_colours(coded):
    info = analysis.code_info(coded, "mini")
    assert records(info, ["code", "parent", "top", "depth", "name", "colour"]) == [
        ("NPM", None, "NPM", 0, "Ny offentlig styring", "#d95f02"),
        ("NPM.goals", "NPM", "NPM", 1, "Mål", "#d95f02"),
        ("NPM.value", "NPM", "NPM", 1, "Verdi for pengene", "#d95f02"),
        ("NPG", None, "NPG", 0, "Nettverksstyring", "#1b9e77")]
    assert analysis.code_info(coded, "mini", "en")["name"].tolist()[1] == "Goals"


def test_a_case_without_any_codebook_gives_empty_shifts(make_case, store):
    folder = make_case(files={"d1.txt": D1}, rows=[row("d1", "d1.txt", date="2025-01-15")])
    ingest_case(folder, store, progress=False)
    shift = analysis.tranche_shift(store, CASE)
    assert shift.empty and list(shift.columns) == list(analysis.tranche_shift(
        store, CASE, measure="units").columns)
    assert shift["change"].dtype == "float64" and shift["units_after"].dtype == "int64"
