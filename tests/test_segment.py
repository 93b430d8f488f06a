"""Segmentation: speaker turns in every transcript style, paragraphs, sentences, pages."""

from __future__ import annotations

import pytest

from casekit.readers import PageSpan, TurnSpan
from casekit.segment import (
    count_words,
    find_paragraphs,
    find_turns,
    segment_document,
    speaker_role,
)


def turns_of(text: str, **kw) -> list[tuple[str | None, str]]:
    return [(t.speaker, text[t.start:t.end]) for t in find_turns(text, **kw)]


def test_name_colon_turns():
    text = "Kari: Hei.\nOla: Hallo.\nKari: Vi samarbeider.\nOla: Ja."
    assert turns_of(text) == [("Kari", "Hei."), ("Ola", "Hallo."), ("Kari", "Vi samarbeider."),
                              ("Ola", "Ja.")]


def test_i_r_prefixes_and_continuation_lines():
    text = "I: Hva gjør du?\nR: Jeg jobber.\nMest med data.\n\nOg arkiv.\nI: Takk."
    assert turns_of(text) == [("I", "Hva gjør du?"),
                              ("R", "Jeg jobber.\nMest med data.\n\nOg arkiv."),
                              ("I", "Takk.")]


def test_intervjuer_informant_prefixes_are_known_even_once():
    text = "Intervjuer: Hvorfor?\n\nInformant: Fordi."
    assert turns_of(text) == [("Intervjuer", "Hvorfor?"), ("Informant", "Fordi.")]


@pytest.mark.parametrize("stamp", ["[00:12:03]", "00:12:03", "(12:03)", "[00:12:03.250]"])
def test_timestamp_before_speaker(stamp):
    text = f"{stamp} Kari: Først.\n{stamp} Ola: Så."
    turns = find_turns(text)
    assert [(t.speaker, text[t.start:t.end]) for t in turns] == [("Kari", "Først."),
                                                                   ("Ola", "Så.")]
    assert turns[0].time_start == stamp.strip("[]()")


def test_timestamp_after_speaker():
    text = "Kari (00:01): Først.\n\nOla [00:05]: Så."
    assert turns_of(text) == [("Kari", "Først."), ("Ola", "Så.")]


def test_speaker_on_its_own_line():
    text = "KARI NILSEN\nVi begynte i 2022.\n\nFORSKER\nHvorfor?\n\nKARI NILSEN\nFordi vi måtte."
    assert turns_of(text) == [("Kari Nilsen", "Vi begynte i 2022."), ("Forsker", "Hvorfor?"),
                              ("Kari Nilsen", "Fordi vi måtte.")]


def test_speaker_with_colon_on_its_own_line():
    text = "Kari:\nVi begynte i 2022.\n\nIntervjuer:\nHvorfor?\n\nKari:\nFordi."
    assert turns_of(text) == [("Kari", "Vi begynte i 2022."), ("Intervjuer", "Hvorfor?"),
                              ("Kari", "Fordi.")]


def test_markdown_bold_labels():
    text = ("**Forsker:** Hva skjedde?\n\n**Sigrid Aune:** Det ble vedtatt.\n\n"
            "__Forsker__: Ok.\n\n**Sigrid Aune**: Ja.")
    assert turns_of(text) == [("Forsker", "Hva skjedde?"), ("Sigrid Aune", "Det ble vedtatt."),
                              ("Forsker", "Ok."), ("Sigrid Aune", "Ja.")]


def test_numbered_and_lettered_labels():
    text = "Informant 2: Ja.\nSaksbehandler B: Nei.\nInformant 2: Kanskje.\nSaksbehandler B: Ok."
    turns = find_turns(text)
    assert [t.speaker for t in turns] == ["Informant 2", "Saksbehandler B"] * 2
    assert turns[0].speaker_role == "informant"


def test_one_off_label_inside_an_answer_does_not_split_it():
    text = ("Forsker: Hva mener du?\n\nKari: Det er enkelt.\nMerk: dette er viktig.\n"
            "Problemet: vi har ikke tid.\n\nForsker: Takk.\n\nKari: Bare hyggelig.")
    turns = turns_of(text)
    assert [s for s, _ in turns] == ["Forsker", "Kari", "Forsker", "Kari"]
    assert "Problemet: vi har ikke tid." in turns[1][1]


def test_header_before_first_turn_is_not_a_turn():
    text = "Intervju med Kari. Dato: 3. mai 2025.\n\nI: Hei.\n\nR: Hei selv."
    turns = find_turns(text)
    assert turns[0].start == text.index("Hei.")


def test_prose_without_dialogue_gives_no_turns():
    assert find_turns("Dette er et notat.\n\nMerk: det har ingen samtale.") == []
    assert find_turns("Kari: bare én replikk.") == []


def test_speaker_roles():
    assert speaker_role("I") == "interviewer"
    assert speaker_role("Forsker") == "interviewer"
    assert speaker_role("Q") == "interviewer"
    assert speaker_role("Kari") == "informant"
    assert speaker_role("Ingrid", interviewers=["ingrid"]) == "interviewer"
    assert speaker_role("Intervjuer 2") == "interviewer"
    assert speaker_role(None) is None


def test_paragraphs_exclude_labels_and_split_at_turns_and_list_items():
    text = ("Innledning her.\n\nI: Spørsmål?\nR: Svar én.\n- punkt a\n- punkt b\n\n"
            "# Overskrift\nTekst.")
    turns = find_turns(text)
    paragraphs = [text[s:e] for s, e in find_paragraphs(text, turns)]
    assert paragraphs == ["Innledning her.", "Spørsmål?", "Svar én.", "- punkt a", "- punkt b",
                          "# Overskrift\nTekst."]


def test_sentences_slice_exact_text_and_keep_norwegian_abbreviations():
    text = ("Vi møttes 12. mars og diskuterte bl.a. økonomi, f.eks. kostnader. Deretter gikk vi."
            "\n\nNy del! Er det «greit»? Ja.")
    seg = segment_document(text, kind="policy", language="nb")
    sentences = [text[s.start:s.end] for s in seg.of_kind("sentence")]
    assert sentences == ["Vi møttes 12. mars og diskuterte bl.a. økonomi, f.eks. kostnader.",
                         "Deretter gikk vi.", "Ny del!", "Er det «greit»?", "Ja."]
    assert [s.paragraph for s in seg.of_kind("sentence")] == [1, 1, 2, 2, 2]


def test_every_segment_knows_its_turn_speaker_and_words():
    text = ("[00:00:05] Forsker: Kan du fortelle? Gjerne kort.\n\n"
            "[00:00:09] Kari: Ja. Vi samarbeider.")
    seg = segment_document(text, kind="interview", language="nb")
    turns = seg.of_kind("turn")
    assert [(t.seq, t.speaker, t.speaker_role, t.time_start) for t in turns] == [
        (1, "Forsker", "interviewer", "00:00:05"), (2, "Kari", "informant", "00:00:09")]
    sentences = seg.of_kind("sentence")
    assert [(text[s.start:s.end], s.turn, s.speaker) for s in sentences] == [
        ("Kan du fortelle?", 1, "Forsker"), ("Gjerne kort.", 1, "Forsker"),
        ("Ja.", 2, "Kari"), ("Vi samarbeider.", 2, "Kari")]
    assert turns[1].n_words == 3
    assert seg.warnings == []


def test_interview_without_turns_warns():
    seg = segment_document("Bare tekst uten talere.", kind="interview", language="nb")
    assert seg.of_kind("turn") == []
    assert "no speaker turns found" in seg.warnings[0]


def test_policy_documents_are_not_split_into_turns():
    text = "Vedtak: Planen vedtas.\n\nVedtak: Neste plan vedtas også."
    assert segment_document(text, kind="policy", language="nb").of_kind("turn") == []


def test_reader_turns_are_used_with_timestamps():
    text = "Lena: Hei der.\n\nForsker: Hei."
    spans = [TurnSpan("Lena", 6, 14, "00:00:01.000", "00:00:03.500"),
             TurnSpan("Forsker", 25, 29, "00:00:04.000", "00:00:05.000")]
    seg = segment_document(text, kind="other", language="nb", reader_turns=spans)
    turns = seg.of_kind("turn")
    assert [(t.speaker, text[t.start:t.end], t.time_end) for t in turns] == [
        ("Lena", "Hei der.", "00:00:03.500"), ("Forsker", "Hei.", "00:00:05.000")]
    assert [text[p.start:p.end] for p in seg.of_kind("paragraph")] == ["Hei der.", "Hei."]


def test_pages_are_attached_to_paragraphs_and_sentences():
    text = "Side en. Mer.\n\nSide to."
    pages = [PageSpan(1, 0, 13), PageSpan(3, 15, 23)]
    seg = segment_document(text, kind="policy", language="nb", pages=pages)
    assert [(p.seq, p.page) for p in seg.of_kind("page")] == [(1, 1), (2, 3)]
    assert [s.page for s in seg.of_kind("sentence")] == [1, 1, 3]
    assert [p.page for p in seg.of_kind("paragraph")] == [1, 3]


def test_long_unpunctuated_transcript_is_cut_at_line_breaks():
    line = " ".join(["og så snakket vi om det"] * 30)
    text = "\n".join([line] * 3)
    seg = segment_document(text, kind="memo", language="nb")
    assert len(seg.of_kind("sentence")) == 3


def test_english_and_nynorsk_pipelines():
    for language in ("en", "nn", "sv", "da", "zz"):
        seg = segment_document("One. Two.", kind="memo", language=language)
        assert len(seg.of_kind("sentence")) == 2


@pytest.mark.parametrize(("text", "words"), [
    ("Kommunene samarbeider.", 2), ("sak- og arkivsystem", 3), ("e-post og Kari's", 3),
    ("2025–2028: 40/60", 4), ("", 0)])
def test_count_words(text, words):
    assert count_words(text) == words


def test_offsets_are_valid_on_a_long_transcript():
    turn = "Informant: " + "Vi jobber sammen. " * 40 + "\n\nIntervjuer: Og så?\n\n"
    text = (turn * 200).strip()
    seg = segment_document(text, kind="interview", language="nb")
    assert len(seg.of_kind("turn")) == 400
    for s in seg.segments:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start:s.end] == text[s.start:s.end].strip()


@pytest.mark.parametrize(("text", "sentences"), [
    ("Hvor skal jeg begynne. (ler) Og jeg har jobbet her lenge.",
     ["Hvor skal jeg begynne.", "(ler) Og jeg har jobbet her lenge."]),
    ("Nei! «Aldri» sa hun.", ["Nei!", "«Aldri» sa hun."]),
    ("Han sa: «Nei.» Så gikk han.", ["Han sa: «Nei.»", "Så gikk han."])])
def test_opening_brackets_and_quotes_start_the_next_sentence(text, sentences):
    seg = segment_document(text, kind="memo", language="nb")
    assert [text[s.start:s.end] for s in seg.of_kind("sentence")] == sentences
