"""Codebook review on a small hand-coded case: every number below is worked out by hand.

The case (codebook ``mini``, tests/data/mini_codebook.yaml):

d1 network, policy
    S1 [0, 43)   "Vi innfører resultatstyring i alle enheter."
                 NPM auto, ACCEPTED; hit lemma:resultatstyring [12, 27)
    S2 [44, 72)  "Indikatorene måles hvert år."
                 NPM auto, proposed; hit lemma:*indikator* [44, 56)
                 NPM.goals auto, proposed; hit lemma:måltall [57, 62) (a rule the codebook
                 no longer has)
    S3 [74, 101) "Kommunene samarbeider tett."
                 NPG auto, proposed; hit lemma:samarbeid* [84, 95)
d2 municipality Havvik, interview (Forsker is the interviewer, Kari the informant)
    S1 [9, 28)    interviewer "Hva med nettverket?"
    S2 [36, 57)   "Nettverket er viktig."  NPG auto, REJECTED; hit lemma:nettverk* [36, 46)
    S3 [58, 86)   "Felles lisens sparer penger."
    S4 [87, 118)  "Felles lisens krever samarbeid."
    S5 [129, 139) interviewer "Og prisen?"
    S6 [147, 162) "Den er for høy."
A manual coding (NPM on d2 S3) is not the auto-coder's and is never reviewed.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from casekit import review
from casekit.codebook import Codebook
from casekit.errors import StoreError, UsageError
from casekit.ingest import ingest_case
from tests.conftest import REPO, row

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"
CASE = "testcase"
D1 = ("Vi innfører resultatstyring i alle enheter. Indikatorene måles hvert år.\n\n"
      "Kommunene samarbeider tett.\n")
D2 = ("Forsker: Hva med nettverket?\n\nKari: Nettverket er viktig. Felles lisens sparer penger. "
      "Felles lisens krever samarbeid.\n\nForsker: Og prisen?\n\nKari: Den er for høy.\n")


def _proposal(code_id: str, start: int, end: int, rule: str, hit: tuple[int, int],
              matched: str) -> dict:
    evidence = [{"rule": rule, "matched": matched, "start": hit[0], "end": hit[1]}]
    return {"code_id": code_id, "unit": "sentence", "start": start, "end": end, "rule": rule,
            "matched": matched, "n_hits": 1, "evidence": evidence}


@pytest.fixture
def book() -> Codebook:
    return Codebook.load(MINI)


@pytest.fixture
def coded(make_case, store, book):
    """Return the store with the case above ingested and auto-coded by hand."""
    folder = make_case(files={"d1.txt": D1, "d2.txt": D2}, rows=[
        row("d1", "d1.txt", actor_role="network"),
        row("d2", "d2.txt", kind="interview", tranche="municipality", municipality="Havvik",
            actor_role="politician")])
    assert ingest_case(folder, store, progress=False).ok
    pk = store.save_codebook(book)
    targets = {t["doc_id"]: t for t in store.coding_targets(CASE)}
    auto = {"d1": [_proposal("NPM", 0, 43, "lemma:resultatstyring", (12, 27),
                             "resultatstyring"),
                   _proposal("NPM", 44, 72, "lemma:*indikator*", (44, 56), "Indikatorene"),
                   _proposal("NPM.goals", 44, 72, "lemma:måltall", (57, 62), "måles"),
                   _proposal("NPG", 74, 101, "lemma:samarbeid*", (84, 95), "samarbeider")],
            "d2": [_proposal("NPG", 36, 57, "lemma:nettverk*", (36, 46), "Nettverket")]}
    for doc_id, proposals in auto.items():
        store.apply_auto_codings(targets[doc_id]["document_id"], codebook=pk,
                                 codebook_id="mini", text_sha256=targets[doc_id]["text_sha256"],
                                 coder_key="test", run_id=None, proposals=proposals)
    ids = store.coded_spans(CASE).set_index(["doc_id", "code_id", "start"])["coding_id"]
    store.decide_coding(int(ids[("d1", "NPM", 0)]), "accepted", coder="ola")
    store.decide_coding(int(ids[("d2", "NPG", 36)]), "rejected", coder="ola")
    store.add_coding(CASE, "d2", 58, 86, codebook_id="mini", code_id="NPM", coder="ola")
    return store


def test_auto_codings_keep_the_auto_coders_codings_of_the_statuses_asked(coded, book):
    spans = review.auto_codings(coded, CASE, [book])
    assert list(zip(spans["doc_id"], spans["code_id"], spans["start"], spans["status"],
                    strict=True)) == [
        ("d1", "NPM", 0, "accepted"), ("d1", "NPM", 44, "proposed"),
        ("d1", "NPM.goals", 44, "proposed"), ("d1", "NPG", 74, "proposed"),
        ("d2", "NPG", 36, "rejected")]
    live = review.auto_codings(coded, CASE, status=["proposed", "accepted"])
    assert len(live) == 4 and "rejected" not in set(live["status"])
    other = Codebook.from_text(MINI.read_text(encoding="utf-8").replace("id: mini", "id: other"))
    assert review.auto_codings(coded, CASE, [other]).empty
    with pytest.raises(StoreError, match="nosuch"):
        review.auto_codings(coded, "nosuch")


def test_code_hits_count_every_code_with_the_researchers_decisions(coded, book):
    frame = review.code_hits([book], review.auto_codings(coded, CASE, [book]))
    assert list(frame.columns) == review.CODE_HIT_COLUMNS
    rows = frame.drop(columns="accept_rate").values.tolist()
    assert rows == [
        ["mini", "NPM", "Ny offentlig styring", 2, 1, 1, 0, 1, 6, 2],
        ["mini", "NPM.goals", "Mål", 1, 1, 0, 0, 1, 2, 0],  # its rule is gone
        ["mini", "NPM.value", "Verdi for pengene", 0, 0, 0, 0, 0, 2, 0],
        ["mini", "NPG", "Nettverksstyring", 2, 1, 0, 1, 2, 4, 2]]
    rates = frame["accept_rate"].tolist()
    assert rates[0] == 1.0 and rates[3] == 0.0
    assert math.isnan(rates[1]) and math.isnan(rates[2])  # nothing decided yet
    english = review.code_hits([book], review.auto_codings(coded, CASE, [book]), "en")
    assert english["name"].tolist()[:2] == ["New Public Management", "Goals"]


def test_code_hits_without_codings_give_zeros_for_every_code(book):
    empty = pd.DataFrame(columns=["doc_id", "coding_id", "start", "end", "codebook_id",
                                  "code_id", "status", "evidence"])
    frame = review.code_hits([book], empty)
    assert frame["code_id"].tolist() == ["NPM", "NPM.goals", "NPM.value", "NPG"]
    assert frame[["codings", "proposed", "documents", "rules_fired"]].to_numpy().sum() == 0
    assert frame["rules"].tolist() == [6, 2, 2, 4]
    rules = review.rule_hits([book], empty)
    assert len(rules) == 14 and rules["codings"].sum() == 0 and set(rules["top_match"]) == {""}


def test_rule_hits_list_every_rule_and_the_ones_the_codebook_lost(coded, book):
    frame = review.rule_hits([book], review.auto_codings(coded, CASE, [book]))
    assert list(frame.columns) == review.RULE_HIT_COLUMNS
    assert len(frame) == 15 and frame["in_codebook"].sum() == 14
    fired = frame[frame["codings"] > 0].values.tolist()
    assert fired == [
        ["mini", "NPM", "lemma:resultatstyring", "lemma", 1, 1, 1, "resultatstyring", True],
        ["mini", "NPM", "lemma:*indikator*", "lemma", 1, 1, 1, "indikatorene", True],
        ["mini", "NPG", "lemma:samarbeid*", "lemma", 1, 1, 1, "samarbeider", True],
        ["mini", "NPG", "lemma:nettverk*", "lemma", 1, 1, 1, "nettverket", True],
        ["mini", "NPM.goals", "lemma:måltall", "lemma", 1, 1, 1, "måles", False]]
    silent = frame[frame["codings"] == 0]
    assert silent["rule"].tolist()[:3] == ["lemma:*indicator*", "lemma:målstyr*",
                                           "lemma:effektiviser*"]
    assert set(silent["top_match"]) == {""} and silent["hits"].sum() == 0


def test_rule_hits_count_hits_apart_from_codings_and_pick_the_commonest_match(book):
    def hit(rule: str, matched: str) -> dict:
        return {"rule": rule, "matched": matched, "start": 0, "end": 1}

    spans = pd.DataFrame({
        "doc_id": ["a", "a", "b"], "coding_id": [1, 2, 3], "codebook_id": "mini",
        "code_id": "NPG", "status": "proposed",
        "evidence": [[hit("lemma:nettverk*", "Nettverket"), hit("lemma:nettverk*", "nettverk")],
                     [hit("lemma:nettverk*", "nettverket")],
                     [hit("lemma:nettverk*", "nettverk"), hit("lemma:samarbeid*", "samarbeid")]]})
    frame = review.rule_hits([book], spans).set_index("rule")
    assert frame.loc["lemma:nettverk*", ["codings", "hits", "documents", "top_match"]].tolist() \
        == [3, 4, 2, "nettverket"]  # "nettverket" and "nettverk" both twice: the first seen
    assert frame.loc["lemma:samarbeid*", ["codings", "hits", "documents"]].tolist() == [1, 1, 1]


def test_kwic_samples_spread_over_documents_with_context(coded, book):
    spans = review.auto_codings(coded, CASE, [book])
    frame = review.kwic_samples(coded, CASE, spans, n=3, window=2)
    assert list(frame.columns) == review.KWIC_COLUMNS
    assert frame.drop(columns=["codebook_id", "rule"]).values.tolist() == [
        ["NPG", "proposed", "d1", "network", "år. Kommunene", "samarbeider", "tett."],
        ["NPG", "rejected", "d2", "municipality", "nettverket? Kari:", "Nettverket",
         "er viktig."],
        ["NPM", "accepted", "d1", "network", "Vi innfører", "resultatstyring", "i alle"],
        ["NPM", "proposed", "d1", "network", "alle enheter.", "Indikatorene", "måles hvert"],
        ["NPM.goals", "proposed", "d1", "network", "enheter. Indikatorene", "måles",
         "hvert år."]]
    one = review.kwic_samples(coded, CASE, spans, n=1, window=0)
    assert one[["code_id", "left", "keyword", "right"]].values.tolist() == [
        ["NPG", "", "samarbeider", ""], ["NPM", "", "resultatstyring", ""],
        ["NPM.goals", "", "måles", ""]]
    assert review.kwic_samples(coded, CASE, spans.iloc[:0]).columns.tolist() == \
        review.KWIC_COLUMNS
    with pytest.raises(UsageError, match="n >= 1"):
        review.kwic_samples(coded, CASE, spans, n=0)


def test_uncoded_sentences_leave_out_coded_and_interviewer_sentences(coded, book):
    spans = review.auto_codings(coded, CASE, [book])
    frame = review.uncoded_sentences(coded, CASE, spans)
    assert list(frame.columns) == review.SENTENCE_COLUMNS
    assert frame[["doc_id", "seq", "start", "end", "text"]].values.tolist() == [
        ["d2", 3, 58, 86, "Felles lisens sparer penger."],
        ["d2", 4, 87, 118, "Felles lisens krever samarbeid."],
        ["d2", 6, 147, 162, "Den er for høy."]]
    live = review.auto_codings(coded, CASE, [book], status=["proposed", "accepted"])
    assert review.uncoded_sentences(coded, CASE, live)["seq"].tolist() == [2, 3, 4, 6]
    everything = review.uncoded_sentences(coded, CASE, spans.iloc[:0], include_interviewer=True)
    assert len(everything) == 9  # 3 in d1, 6 in d2


SENTENCES = pd.DataFrame({
    "doc_id": ["a", "a", "a", "b"], "seq": [1, 2, 3, 1], "start": 0, "end": 0,
    "language": "nb",
    "text": ["Felles og lisens.", "Felles lisens sparer penger.", "Felles lisens sparer tid.",
             "Samarbeidet virker."]})


def test_sentence_tokens_lemmatize_and_mark_stop_words():
    tokens = review.sentence_tokens(SENTENCES)
    assert list(tokens.columns) == review.TOKEN_COLUMNS
    assert tokens[tokens["seq"] == 1].values.tolist()[:3] == [
        ["a", 1, 0, "felles", "felles", False], ["a", 1, 1, "og", "og", True],
        ["a", 1, 2, "lisens", "lisens", False]]
    assert tokens["lemma"].tolist()[3:7] == ["felles", "lisens", "spare", "penge"]
    own = review.sentence_tokens(SENTENCES, stopwords={"nb": ["Felles"]})
    # "og" is off the list now, but shorter than three letters.
    assert own[own["stop"]]["surface"].tolist() == ["felles", "og", "felles", "felles"]
    assert review.sentence_tokens(SENTENCES.iloc[:0]).empty


def test_candidate_terms_count_lemmas_and_flag_those_a_rule_covers(book):
    tokens = review.sentence_tokens(SENTENCES)
    frame = review.candidate_terms(tokens, [book], min_count=1)
    assert list(frame.columns) == review.TERM_COLUMNS
    assert frame.values.tolist() == [
        ["felles", 3, 3, 1, "felles", False], ["lisens", 3, 3, 1, "lisens", False],
        ["spare", 2, 2, 1, "sparer", False], ["penge", 1, 1, 1, "penger", False],
        ["samarbeide", 1, 1, 1, "samarbeidet", True],  # lemma:samarbeid* covers it
        ["tid", 1, 1, 1, "tid", False], ["virke", 1, 1, 1, "virker", False]]
    assert review.candidate_terms(tokens, min_count=3)["lemma"].tolist() == ["felles", "lisens"]
    assert review.candidate_terms(tokens, top=1)["lemma"].tolist() == ["felles"]
    assert review.candidate_terms(tokens.iloc[:0]).columns.tolist() == review.TERM_COLUMNS
    with pytest.raises(UsageError, match="min_count >= 1"):
        review.candidate_terms(tokens, min_count=0)


def test_collocations_score_lemma_pairs_and_never_bridge_a_stop_word():
    tokens = review.sentence_tokens(SENTENCES)
    # 13 words (the stop word counts); felles 3, lisens 3, spare 2; "felles lisens" and
    # "lisens spare" twice each ("felles og lisens" is no pair).
    pmi = review.collocations(tokens, measure="pmi", min_count=2)
    assert pmi["phrase"].tolist() == ["lisens spare", "felles lisens"]
    assert pmi["count"].tolist() == [2, 2]
    assert pmi["score"].tolist() == pytest.approx([math.log2(2 * 13 / (3 * 2)),
                                                   math.log2(2 * 13 / (3 * 3))])
    raw = review.collocations(tokens, measure="raw_freq", min_count=2)
    assert raw["phrase"].tolist() == ["felles lisens", "lisens spare"]  # a tie: by phrase
    assert raw["score"].tolist() == pytest.approx([2 / 13, 2 / 13])
    triples = review.collocations(tokens, size=3, measure="raw_freq", min_count=2)
    assert triples["phrase"].tolist() == ["felles lisens spare"]
    assert review.collocations(tokens.iloc[:0]).columns.tolist() == review.COLLOCATION_COLUMNS


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"size": 4}, "size 2 or 3"), ({"measure": "dice"}, "measure must be one of"),
    ({"top": 0}, "top >= 1")])
def test_collocations_bad_arguments(kwargs, message):
    with pytest.raises(UsageError, match=message):
        review.collocations(review.sentence_tokens(SENTENCES), **kwargs)


def test_stop_word_lists_cover_each_language():
    assert {"og", "det", "som"} <= review.STOPWORDS["nb"]
    assert {"og", "ikkje", "eg"} <= review.STOPWORDS["nn"]
    assert {"and", "the", "of"} <= review.STOPWORDS["en"]


def test_never_fired_spares_a_parent_whose_subcode_fires(coded, book):
    hits = review.code_hits([book], review.auto_codings(coded, CASE, [book]))
    assert review.never_fired(hits)["code_id"].tolist() == ["NPM.value"]
    frequencies = pd.DataFrame({"code": ["A", "A.x", "A.y", "B", "B.x", "C"],
                                "units": [0, 2, 0, 0, 0, 1]})
    silent = review.never_fired(frequencies, count="units", code="code")
    assert silent["code"].tolist() == ["A.y", "B", "B.x"]  # A lives through A.x
    assert review.never_fired(frequencies.iloc[:0], count="units", code="code").empty


def test_silent_rules_summarise_each_codes_rules_that_never_fire(coded, book):
    rules = review.rule_hits([book], review.auto_codings(coded, CASE, [book]))
    frame = review.silent_rules(rules, examples=2)
    assert frame.values.tolist() == [
        ["mini", "NPM", 6, 4, "lemma:*indicator*; lemma:målstyr*; …"],
        ["mini", "NPM.goals", 3, 2, "lemma:mål; phrase:nå målet~2"],  # + the lost rule
        ["mini", "NPM.value", 2, 2, "phrase:få igjen for~2; pattern:[{\"LIKE_NUM\": true}, "
                                    "{\"LOWER\": {\"IN\": [\"kroner\", \"kr\"]}}]"],
        ["mini", "NPG", 4, 2, "lemma:partnerskap*; surface:ikt-samarbeidet"]]
    assert review.silent_rules(rules.iloc[:0]).columns.tolist() == [
        "codebook_id", "code_id", "rules", "silent", "examples"]
    with pytest.raises(UsageError, match="examples >= 1"):
        review.silent_rules(rules, examples=0)


def test_busiest_rules_keep_code_order_and_rank_within_a_code():
    rules = pd.DataFrame({
        "codebook_id": "mini", "code_id": ["NPM", "NPM", "NPM", "NPG", "NPG"],
        "rule": ["a", "b", "c", "d", "e"], "codings": [1, 3, 1, 0, 2]})
    assert review.busiest_rules(rules, n=2)["rule"].tolist() == ["b", "a", "e"]
    assert review.busiest_rules(rules.iloc[:0]).empty
    with pytest.raises(UsageError, match="n >= 1"):
        review.busiest_rules(rules, n=0)
