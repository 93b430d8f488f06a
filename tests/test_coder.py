"""The auto-coder: glob index, every rule kind, Norwegian forms, exclusions, units, examples."""

from __future__ import annotations

import numpy as np
import pytest
from spacy.tokens import Doc
from spacy.vocab import Vocab

from casekit.codebook import Codebook
from casekit.coder import CompiledCodebook, Unit, _HashMap, _type_ids, run_examples
from casekit.matching import GlobIndex, glob_kind
from casekit.nlp import lemmatizer, pipeline, tokenizer_pipeline
from tests.conftest import REPO

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"


@pytest.fixture(scope="module")
def coder() -> CompiledCodebook:
    return CompiledCodebook(Codebook.load(MINI))


def coded(coder, text, language="nb"):
    """Return (code_id, coded text) for every proposal."""
    return [(p.code_id, text[p.start:p.end]) for p in coder.code_text(text, language)]


# -- glob index ------------------------------------------------------------------------------

@pytest.mark.parametrize(("glob", "kind"), [
    ("mål", "exact"), ("samskap*", "prefix"), ("*medvirkning", "suffix"),
    ("*indikator*", "infix"), ("sam*ing", "regex"), ("m?l", "regex")])
def test_glob_kinds(glob, kind):
    assert glob_kind(glob) == kind


def test_glob_index_lookup():
    index = GlobIndex()
    for n, glob in enumerate(["mål", "samskap*", "*medvirkning", "*indikator*", "sam*ing",
                              "m?l"]):
        index.add(glob, n)
    assert sorted(index.lookup("mål")) == [0, 5]
    assert index.lookup("samskapingsprosess") == [1]
    assert index.lookup("brukermedvirkning") == [2]
    assert index.lookup("medvirkning") == [2]  # the star may be empty
    assert index.lookup("resultatindikatorene") == [3]
    assert index.lookup("indikator") == [3]
    assert index.lookup("samordning") == [4]
    assert index.lookup("mel") == [5]
    assert index.lookup("kommune") == []


def test_glob_index_cost_does_not_depend_on_pattern_count():
    index = GlobIndex()
    for n in range(5000):
        index.add(f"ord{n}*", n)
    assert sorted(index.lookup("ord4321abc")) == [4, 43, 432, 4321]
    # "ord0".."ord4999" are tried at four lengths, not 5000
    assert sorted(index._edges["prefix"]["ord"]) == [4, 5, 6, 7]


# -- lemmatizer --------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "word", "lemma"), [
    ("nb", "kommunene", "kommune"), ("nb", "nettverkene", "nettverk"),
    ("nb", "målstyringen", "målstyring"), ("nb", "samskapingsprosessene", "samskapingsprosess"),
    ("nb", "Mål-", "mål"), ("nn", "kommunane", "kommune"), ("nn", "innbyggjarane", "innbyggjar"),
    ("en", "partnerships", "partnership"), ("nb", "2025", "2025")])
def test_lemmatizer(language, word, lemma):
    assert lemmatizer(language)(word.lower()) == lemma


def test_pipeline_component_sets_lemmas_and_sentences():
    doc = pipeline("nb")("Kommunene samarbeider. Nettverkene vokser.")
    assert [t.lemma_ for t in doc if t.is_alpha] == ["kommune", "samarbeide", "nettverk",
                                                      "vokse"]
    assert len(list(doc.sents)) == 2


# -- rule kinds --------------------------------------------------------------------------------

def test_lemma_rule_catches_inflection_and_compounds(coder):
    text = "Målstyringen fungerer. Resultatindikatorene er nye. Vi effektiviserte driften."
    assert [c for c, _ in coded(coder, text)] == ["NPM", "NPM", "NPM"]


def test_surface_rule(coder):
    assert ("NPG", "Vi har IKT-samarbeidet.") in coded(coder, "Vi har IKT-samarbeidet.")


def test_regex_rule_crosses_word_boundaries(coder):
    proposals = coder.code_text("Mål- og resultatstyringen sitter i veggene.")
    rules = {h.rule.label for p in proposals if p.code_id == "NPM" for h in p.hits}
    assert "regex:mål- og resultatstyring\\w*" in rules
    assert "lemma:resultatstyring" in rules


def test_phrase_with_gap_and_its_limits(coder):
    assert [c for c, _ in coded(coder, "Vi klarte å nå det viktige målet.")].count(
        "NPM.goals") == 1
    hits = [h for p in coder.code_text("Hva får vi egentlig igjen for pengene?")
            for h in p.hits if h.rule.kind == "phrase"]
    assert [h.matched for h in hits] == ["får vi egentlig igjen for"]
    # Three words between is more than the gap of two; a sentence end stops a phrase.
    assert not any(h.rule.kind == "phrase" for p in coder.code_text(
        "Hva får vi nå egentlig igjen for det?") for h in p.hits)
    assert not any(h.rule.kind == "phrase" for p in coder.code_text(
        "Du får. Igjen for det.") for h in p.hits)


def test_token_pattern(coder):
    proposals = coder.code_text("Tiltaket sparte 40 kroner per innbygger.")
    hit = next(h for p in proposals for h in p.hits if h.rule.kind == "pattern")
    assert hit.matched == "40 kroner"


def test_pattern_on_lemma(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\ntitle: P\nversion: '1'\ncodes:\n  - id: T\n    name: T\n"
                    "    rules:\n      pattern: [[{LEMMA: kommune}, {LEMMA: samarbeide}]]\n")
    compiled = CompiledCodebook(Codebook.load(path))
    assert [p.code_id for p in compiled.code_text("Kommunene samarbeidet godt.")] == ["T"]


def test_exclusion_vetoes_the_whole_unit(coder):
    text = "Målene er klare. Hun scoret to mål i kampen. Bærekraftsmålene er viktige."
    assert coded(coder, text) == [("NPM.goals", "Målene er klare.")]


def test_exclusion_phrase(coder):
    assert coded(coder, "Mobil nettdekning og samarbeid er dårlig.") == []
    assert coded(coder, "Samarbeid er bra.") == [("NPG", "Samarbeid er bra.")]


def test_english_and_nynorsk(coder):
    assert coded(coder, "We need better performance indicators.", "en") == [
        ("NPM", "We need better performance indicators.")]
    assert coded(coder, "Kommunane samarbeider godt.", "nn") == [
        ("NPG", "Kommunane samarbeider godt.")]


# -- units -------------------------------------------------------------------------------------

def test_coded_span_is_the_whole_unit_of_the_code(coder):
    text = "Første setning her. Vi sparte 40 kroner.\n\nNy paragraf om målene."
    result = coded(coder, text)
    assert ("NPM.value", "Første setning her. Vi sparte 40 kroner.") in result  # paragraph
    assert ("NPM.goals", "Ny paragraf om målene.") in result  # sentence


def test_turn_unit_and_fallback_to_paragraph(coder):
    text = "Vi samarbeider mye. Det går bra.\n\nNoe annet."
    units = {"sentence": [Unit(0, 19, 1), Unit(20, 32, 2), Unit(34, 44, 3)],
             "paragraph": [Unit(0, 32, 1), Unit(34, 44, 2)],
             "turn": [Unit(0, 44, 1)]}
    proposals = coder.propose(text, "nb", units)
    assert [(p.code_id, p.unit, p.start, p.end) for p in proposals] == [("NPG", "turn", 0, 44)]
    proposals = coder.propose(text, "nb", {**units, "turn": []})
    assert [(p.code_id, p.unit, p.start, p.end) for p in proposals] == [
        ("NPG", "paragraph", 0, 32)]


def test_skipped_units_get_no_proposals_but_still_veto(coder):
    text = "Målene er satt. Målene er nye."
    units = {"sentence": [Unit(0, 15, 1, skip=True), Unit(16, 30, 2)], "paragraph": [],
             "turn": []}
    assert [(p.code_id, p.seq) for p in coder.propose(text, "nb", units)] == [("NPM.goals", 2)]


def test_hits_in_no_unit_are_ignored(coder):
    text = "Forsker: Målene?"
    units = {"sentence": [Unit(9, 16, 1)], "paragraph": [], "turn": []}
    assert [p.start for p in coder.propose(text, "nb", units)] == [9]
    assert coder.propose(text, "nb", {"sentence": [Unit(0, 3, 1)], "paragraph": [],
                                      "turn": []}) == []


def test_one_proposal_per_code_and_unit_with_all_evidence(coder):
    proposals = coder.code_text("Målstyringen og resultatindikatorene henger sammen.")
    (npm,) = [p for p in proposals if p.code_id == "NPM"]
    assert [h.matched for h in npm.hits] == ["Målstyringen", "resultatindikatorene"]
    assert npm.rule == "lemma:målstyr*"
    assert npm.matched == "Målstyringen | resultatindikatorene"


def test_empty_and_punctuation_only_text(coder):
    assert coder.code_text(" ") == []
    assert coder.code_text("!!! ...") == []


def test_type_cache_is_shared_across_texts(coder):
    coder.code_text("Nettverket vokser.")
    size = len(coder._types["nb"])
    coder.code_text("Nettverket vokser.")
    assert len(coder._types["nb"]) == size


# -- examples as tests -------------------------------------------------------------------------

def test_fixture_examples_pass():
    run, failures = run_examples(Codebook.load(MINI))
    assert run == 11 and failures == []


def test_failing_examples_are_reported_with_what_fired(tmp_path):
    text = MINI.read_text().replace("no_match: [Hun scoret to mål i kampen.]",
                                    "no_match: [Målet er nådd.]")
    path = tmp_path / "m.yaml"
    path.write_text(text)
    run, failures = run_examples(Codebook.load(path))
    (failure,) = failures
    assert failure.code_id == "NPM.goals" and failure.expected == "no_match"
    assert "lemma:mål = 'Målet'" in str(failure)
    assert "should not be coded" in str(failure)


@pytest.mark.parametrize(("pattern", "literal"), [
    (r"mål- og resultatstyring\w*", "mål- og resultatstyring"), (r"\bKOSTRA\b", "kostra"),
    (r"(a|b)xyz", "xyz"), (r"sam(?:arbeid|handling)", None), (r"a|b", None),
    (r"(?:mål|resultat)styring", None), (r"ab", None), (r"\d+", None)])
def test_required_literal(pattern, literal):
    from casekit.matching import required_literal

    assert required_literal(pattern) == literal


@pytest.mark.parametrize(("pattern", "literals"), [
    (r"sam(?:arbeid|handling)", ("samarbeid", "samhandling")),
    (r"(?:mål|resultat)styring", ("målstyring", "resultatstyring")),
    # The parser factors "se" out of sent|seint; the set is followed through it.
    (r"\b(kom|inviter\w*)\s+for\s+(sent|seint)\b", ("seint", "sent")),
    (r"\b(alt|ramma)\s+er\s+(satt|bestemt)\b", ("bestemt", "satt")),
    (r"samarbeid|partnerskap", ("partnerskap", "samarbeid")),
    (r"\bfree[ds]?[- ]up|\btime\s+freed", ("free", "time"))])
def test_required_literals(pattern, literals):
    from casekit.matching import required_literals

    assert required_literals(pattern) == literals


def test_regex_is_skipped_only_where_it_cannot_match(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("id: r\ntitle: R\nversion: '1'\ncodes:\n  - id: K\n    name: K\n"
                    "    rules:\n      regex: ['KOSTRA-?tall\\w*']\n")
    compiled = CompiledCodebook(Codebook.load(path))
    assert [p.code_id for p in compiled.code_text("Vi ser på kostratallene.")] == ["K"]
    assert compiled.code_text("Vi ser på tallene.") == []


def _compiled(tmp_path, rules: str) -> CompiledCodebook:
    path = tmp_path / "c.yaml"
    path.write_text("id: c\ntitle: C\nversion: '1'\ncodes:\n  - id: X\n    name: X\n"
                    f"    rules:\n{rules}")
    return CompiledCodebook(Codebook.load(path))


def test_phrase_word_alternatives(tmp_path):
    compiled = _compiled(tmp_path, "      phrase: ['alle|de to|tre|fire kommun*']\n")
    for text in ("Alle fire kommunene var enige.", "De tre kommunane sa nei."):
        assert [p.code_id for p in compiled.code_text(text)] == ["X"], text
    assert compiled.code_text("Alle fem kommunene var enige.") == []


def test_phrase_is_matched_outwards_from_its_rarest_word(tmp_path):
    compiled = _compiled(tmp_path, "      phrase: [{text: 'vi må få til samskaping', "
                                   "gap: 1}]\n")
    text = "Vi må få til samskaping. Vi må få til mye. Vi må nå få til ekte samskaping."
    hits = [h.matched for p in compiled.code_text(text) for h in p.hits]
    assert hits == ["Vi må få til samskaping", "Vi må nå få til ekte samskaping"]


def test_long_word_forms_back_up_the_lemmatizer(tmp_path):
    compiled = _compiled(tmp_path, "      lemma: ['samhandl*']\n")
    # simplemma reads "samhandler" as "samhandel" (trade); the word's form still counts.
    assert lemmatizer("nb")("samhandler") == "samhandel"
    assert [p.code_id for p in compiled.code_text("Kommunene samhandler godt.")] == ["X"]


def test_short_homographs_keep_to_their_lemma(tmp_path):
    compiled = _compiled(tmp_path, "      lemma: ['bruker']\n")
    assert compiled.code_text("Hun bruker nettbanken.") == []  # the verb "uses"
    assert [p.code_id for p in compiled.code_text("Brukerne klaget.")] == ["X"]


def test_regex_runs_only_near_its_literal_but_finds_every_match(tmp_path):
    compiled = _compiled(tmp_path, "      regex: ['kommune\\s*3[.,]0', '§\\s*\\d+']\n")
    text = "Dette er kommune 3.0 i praksis. Se § 12. Ellers ingenting. Kommune 3,0 igjen."
    assert [h.matched for p in compiled.code_text(text) for h in p.hits] == [
        "kommune 3.0", "§ 12", "Kommune 3,0"]
    assert compiled._scan_regexes == []  # both are triggered by word types


def test_phrase_from_a_middle_anchor_reaches_both_ways_within_its_gap(tmp_path):
    compiled = _compiled(tmp_path, "      phrase: [{text: 'god dialog med innbyggerne', "
                                   "gap: 1}]\n")
    # "dialog" is the rarest word: one word may stand between each pair, both ways.
    text = ("Vi vil ha en god, åpen dialog med alle innbyggerne. God vilje, med "
            "innbyggerne. Ingen god åpen ærlig dialog med innbyggerne. God dialog. "
            "Med innbyggerne.")
    hits = [h.matched for p in compiled.code_text(text) for h in p.hits]
    assert hits == ["god, åpen dialog med alle innbyggerne"]


def test_a_letter_that_grows_when_lower_cased_keeps_its_token_span(tmp_path):
    compiled = _compiled(tmp_path, "      surface: ['*nnbyggerdialog']\n      lemma: [møte]\n")
    # "İ" lower-cases to "i" and a combining dot: the token's lower-case form is longer.
    assert len("İNNBYGGERDIALOG".lower()) == 16
    text = "Vi tok İNNBYGGERDIALOG på møte."
    [proposal] = compiled.code_text(text)
    assert [(h.start, h.end, h.matched) for h in proposal.hits] == [
        (7, 22, "İNNBYGGERDIALOG"), (26, 30, "møte")]


def test_hash_map_finds_every_key_across_growth_and_shared_slots():
    table = _HashMap()
    keys = np.random.default_rng(7).integers(-2**63, 2**63 - 1, 6000, dtype=np.int64)
    for batch in range(6):  # from 1,024 slots, the table grows several times
        table.add(keys[batch * 1000:(batch + 1) * 1000],
                  np.arange(batch * 1000, (batch + 1) * 1000))
    assert len(np.unique(table._home(keys))) < len(keys)  # some keys had to probe on
    assert (table.get(keys) == np.arange(6000)).all()
    assert (table.get(keys[::-1] ^ 1) == -1).all()  # absent keys
    assert table.get(np.zeros(0, np.int64)).tolist() == []


def test_regexes_due_in_one_sentence_are_searched_together_without_losing_matches(tmp_path):
    # Where several regexes are due in one sentence they are first searched as one
    # alternation there; a back-reference keeps a regex out of such an alternation.
    compiled = _compiled(tmp_path, "      regex: ['plan\\w*\\s+for\\s+(\\w+)', "
                                   "'(?P<y>20\\d\\d)\\W+plan', 'møte\\w*\\s+(\\w+)\\s+\\1', "
                                   "'(?P<y>\\d+)\\s*%\\s+av\\s+plan\\w*']\n")
    assert compiled._joinable == {0: True, 1: True, 2: False, 3: True}
    text = ("I 2025: planen for skolen. For planen vår. Møtet ble ble utsatt. "
            "Hele 40 % av planene for 2030 er nye.")
    assert sorted(h.matched for p in compiled.code_text(text) for h in p.hits) == [
        "2025: plan", "40 % av planene", "Møtet ble ble", "planen for skolen",
        "planene for 2030"]
    # Two regexes with the same group name cannot be joined: each then runs on its own.
    assert compiled._either((1, 3)) is None
    assert compiled._either((0, 1)).search("planen for alle") is not None
    assert compiled._either((0, 1)).search("For planen vår.") is None


def test_type_numbers_are_shared_by_every_codebook_of_a_language(tmp_path):
    first = _compiled(tmp_path, "      lemma: ['kommune']\n")
    path = tmp_path / "other.yaml"
    path.write_text("id: o\ntitle: O\nversion: '1'\ncodes:\n  - id: Y\n    name: Y\n"
                    "    rules:\n      phrase: ['nye kommune*']\n")
    second = CompiledCodebook(Codebook.load(path))
    text = "Kommunen og de nye kommunene. KOMMUNEN!"
    assert [p.code_id for p in first.code_text(text)] == ["X", "X"]
    # The second codebook meets types the first numbered, and describes them for itself.
    assert [h.matched for p in second.code_text(text) for h in p.hits] == ["nye kommunene"]
    numbering = _type_ids(tokenizer_pipeline("nb").vocab)
    doc = tokenizer_pipeline("nb").make_doc(text)
    numbers, _ = numbering.of(doc)
    # One number per lower-case form: "Kommunen" and "KOMMUNEN" are one type.
    assert numbers[0] == numbers[-2] and numbering.forms[numbers[0]] == "kommunen"
    for compiled in (first, second):  # each has described every type of the text
        table = compiled._types["nb"]
        assert len(table) >= len(numbering.forms) and table.described[numbers].all()


def test_a_rank_set_outside_the_numbering_is_refused():
    vocab = Vocab()
    numbering = _type_ids(vocab)
    doc = Doc(vocab, words=["kommunen", "samarbeider"])
    numbers = numbering.of(doc)[0].tolist()
    assert sorted(numbers) == [0, 1]
    assert [numbering.forms[n] for n in numbers] == ["kommunen", "samarbeider"]
    vocab["vektor"].rank = 7  # as adding word vectors to the vocabulary would
    with pytest.raises(RuntimeError, match="outside casekit's type numbering"):
        numbering.of(Doc(vocab, words=["vektor"]))
