"""Rebuild the demo corpora from their UTF-8 sources.

    python scripts/build_demo.py            # writes corpora/<case>/ (files + manifest.csv)

Sources live in ``scripts/demo_src/<case>/<doc_id>.txt``: interviews as one ``Label: text``
line per speaker turn, everything else as light markdown (``#`` headings, ``-`` bullets,
``1.`` numbers, one pipe table). This script renders each source into the format the
manifest row asks for, in the transcript style a real project would receive (timestamps,
``I:``/``R:``, labels on their own line, VTT voices, Windows-1252, UTF-16, ...), so the
demo exercises every reader. The built files are committed; run this after editing a
source. It needs the test extras (fpdf2).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "scripts" / "demo_src"
CORPORA = ROOT / "corpora"
FIXED_TIME = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)

EXTRA_COLUMNS = ("informant", "position", "interviewer", "plan_level")


@dataclass(frozen=True)
class Doc:
    """One demo document: its manifest row and how to render it."""

    doc_id: str
    file: str
    style: str
    kind: str
    tranche: str
    municipality: str
    actor_role: str
    date: str
    title: str
    language: str = "nb"
    extra: dict[str, str] = field(default_factory=dict)


DIGI_MIDTFJORD: list[Doc] = [
    Doc("strategi_midtfjord_2025", "network/strategi_midtfjord_2025.pdf", "pdf", "policy",
        "network", "", "network", "2025-03-12",
        "Felles digitaliseringsstrategi for Midtfjord 2025–2028",
        extra={"plan_level": "regional strategi"}),
    Doc("int_nettverksleder", "network/int_nettverksleder.txt", "txt_timestamps",
        "interview", "network", "", "network", "2025-10-08",
        "Intervju med daglig leder i Digi Midtfjord",
        extra={"informant": "Eirik Nordvik", "position": "daglig leder",
               "interviewer": "Forsker"}),
    Doc("ref_styringsgruppe_2025_03", "network/ref_styringsgruppe_2025_03.docx", "docx",
        "minutes", "network", "", "network", "2025-03-12",
        "Referat fra styringsgruppen 12. mars 2025"),
    Doc("int_gevinstkoordinator", "network/int_gevinstkoordinator.vtt", "vtt", "interview",
        "network", "", "network", "2025-06-17", "Intervju med porteføljekoordinator",
        extra={"informant": "Lena Sandvik", "position": "porteføljekoordinator",
               "interviewer": "Forsker"}),
    Doc("int_ordforer_havvik", "interplay/int_ordforer_havvik.txt", "txt", "interview",
        "interplay", "Havvik", "politician", "2025-05-20", "Intervju med ordfører i Havvik",
        extra={"informant": "Tone Brekke", "position": "ordfører", "interviewer": "I"}),
    Doc("ref_kommunedirektorutvalget_2025_09",
        "interplay/ref_kommunedirektorutvalget_2025_09.odt", "odt", "minutes", "interplay",
        "", "administration", "2025-09-09",
        "Referat fra kommunedirektørutvalget 9. september 2025"),
    Doc("notat_forankring", "interplay/notat_forankring.rtf", "rtf", "memo", "interplay", "",
        "network", "2025-06-10", "Notat om forankring av strategien i kommunene"),
    Doc("int_eldreradet", "interplay/int_eldreradet.docx", "docx_labels_alone",
        "interview", "interplay", "Bjørkeli", "citizen", "2025-08-28",
        "Intervju med leder av eldrerådet i Bjørkeli",
        extra={"informant": "Kåre Bjerke", "position": "leder av eldrerådet",
               "interviewer": "Intervjuer"}),
    Doc("sak_samarbeidsavtale", "interplay/sak_samarbeidsavtale.html", "html", "policy",
        "interplay", "", "administration", "2025-10-15",
        "Saksframlegg: revidert samarbeidsavtale", extra={"plan_level": "samarbeidsavtale"}),
    Doc("hoep_havvik_2026_digitalisering",
        "municipality/havvik/hoep_havvik_2026_digitalisering.pdf", "pdf", "policy",
        "municipality", "Havvik", "administration", "2025-12-11",
        "Handlings- og økonomiplan 2026–2029, kapittel 6: digitalisering",
        extra={"plan_level": "handlings- og økonomiplan"}),
    Doc("int_kommunalsjef_havvik", "municipality/havvik/int_kommunalsjef_havvik.txt",
        "txt_cp1252", "interview", "municipality", "Havvik", "administration", "2026-02-12",
        "Intervju med kommunalsjef for organisasjon og digitalisering",
        extra={"informant": "Geir Haugland", "position": "kommunalsjef",
               "interviewer": "Intervjuer"}),
    Doc("int_frivilligsentral_elvedal",
        "municipality/elvedal/int_frivilligsentral_elvedal.srt", "srt", "interview",
        "municipality", "Elvedal", "partner", "2026-03-05",
        "Gruppeintervju med frivilligsentralen og biblioteket",
        extra={"informant": "Randi Moe; Ola Viken",
               "position": "leder frivilligsentral; biblioteksjef", "interviewer": "Forsker"}),
    Doc("int_kommunestyremedlem_elvedal",
        "municipality/elvedal/int_kommunestyremedlem_elvedal.md", "md_bold", "interview",
        "municipality", "Elvedal", "politician", "2026-04-16",
        "Intervju med kommunestyremedlem i Elvedal",
        extra={"informant": "Sigrid Aune", "position": "kommunestyremedlem (opposisjon)",
               "interviewer": "Forsker"}),
    Doc("int_arkivleder_bjorkeli", "municipality/bjorkeli/int_arkivleder_bjorkeli.docx",
        "docx_interview", "interview", "municipality", "Bjørkeli", "administration",
        "2026-01-15", "Intervju med leder for dokumentsenteret i Bjørkeli",
        extra={"informant": "Anders Lie", "position": "arkivleder",
               "interviewer": "Intervjuer"}),
    Doc("int_ansatt_bjorkeli", "municipality/bjorkeli/int_ansatt_bjorkeli.odt",
        "odt_interview", "interview", "municipality", "Bjørkeli", "administration",
        "2026-03-12", "Intervju med saksbehandler i hjemmetjenesten",
        extra={"informant": "Saksbehandler B", "position": "saksbehandler",
               "interviewer": "Intervjuer"}),
    Doc("int_kommunedirektor_steinfjord",
        "municipality/steinfjord/int_kommunedirektor_steinfjord.txt", "txt_utf16_caps",
        "interview", "municipality", "Steinfjord", "administration", "2026-02-11",
        "Intervju med kommunedirektør i Steinfjord",
        extra={"informant": "Marit Solheim", "position": "kommunedirektør",
               "interviewer": "Forsker"}),
    Doc("ref_kommunestyret_steinfjord",
        "municipality/steinfjord/ref_kommunestyret_steinfjord.md", "md", "minutes",
        "municipality", "Steinfjord", "politician", "2026-03-18",
        "Møtebok Steinfjord kommunestyre 18. mars 2026"),
    Doc("notat_feltlogg", "notes/notat_feltlogg.md", "md_bom", "memo", "municipality", "",
        "researcher", "2026-04-06", "Forskerlogg etter kommunebesøkene"),
]

# The co-creation case around a municipality's new community plan (samfunnsdel).
SAMSKAPING_LYNGVIK: list[Doc] = [
    Doc("ref_formannskapet_2024_11", "oppstart/ref_formannskapet_2024_11.docx", "docx",
        "minutes", "oppstart", "", "politician", "2024-11-14",
        "Møtebok Lyngvik formannskap 14. november 2024"),
    Doc("int_ordforer", "oppstart/int_ordforer.vtt", "vtt", "interview", "oppstart", "",
        "politician", "2025-01-22", "Intervju med ordføreren i Lyngvik",
        extra={"informant": "Hilde Stornes", "position": "ordfører",
               "interviewer": "Forsker"}),
    Doc("int_kommunedirektor", "oppstart/int_kommunedirektor.txt", "txt_timestamps",
        "interview", "oppstart", "", "administration", "2025-02-05",
        "Intervju med kommunedirektøren i Lyngvik",
        extra={"informant": "Arve Lindseth", "position": "kommunedirektør",
               "interviewer": "Intervjuer"}),
    Doc("planprogram_lyngvik_2040", "oppstart/planprogram_lyngvik_2040.pdf", "pdf", "policy",
        "oppstart", "", "administration", "2025-02-27",
        "Planprogram for kommuneplanens samfunnsdel 2026–2040",
        extra={"plan_level": "planprogram"}),
    Doc("ref_verksted_marvik", "medvirkning/ref_verksted_marvik.odt", "odt", "minutes",
        "medvirkning", "Mårvik", "administration", "2025-04-09",
        "Oppsummering fra framtidsverksted i Mårvik"),
    Doc("int_ungdomsradet", "medvirkning/int_ungdomsradet.srt", "srt", "interview",
        "medvirkning", "Lyngvik sentrum", "citizen", "2025-05-21",
        "Intervju med lederen av ungdomsrådet",
        extra={"informant": "Ida Marie Solvang", "position": "leder av ungdomsrådet (17 år)",
               "interviewer": "Forsker"}),
    Doc("notat_juridisk", "medvirkning/notat_juridisk.rtf", "rtf", "memo", "medvirkning", "",
        "administration", "2025-06-02",
        "Notat om juridiske rammer for innbyggerpanel, forum og fond"),
    Doc("int_innbyggerpanel", "medvirkning/int_innbyggerpanel.md", "md_bold", "interview",
        "medvirkning", "Ospdalen", "citizen", "2025-06-11",
        "Intervju med medlem av innbyggerpanelet",
        extra={"informant": "Solveig Ramstad", "position": "medlem av innbyggerpanelet",
               "interviewer": "Intervjuer"}),
    Doc("int_naeringsliv", "medvirkning/int_naeringsliv.txt", "txt_cp1252", "interview",
        "medvirkning", "Skarvøya", "partner", "2025-08-20",
        "Intervju med daglig leder i Skarvøy Sjømat",
        extra={"informant": "Kristoffer Hamre",
               "position": "daglig leder; styremedlem i næringsforeningen",
               "interviewer": "I"}),
    Doc("int_frivillighetsforum", "medvirkning/int_frivillighetsforum.docx",
        "docx_labels_alone", "interview", "medvirkning", "Lyngvik sentrum", "partner",
        "2025-09-03", "Gruppeintervju med frivilligsentralen og idrettslaget",
        extra={"informant": "Bente Aasgård; Trond Vassli",
               "position": "daglig leder frivilligsentral; styreleder idrettslag",
               "interviewer": "Intervjuer"}),
    Doc("notat_feltnotat", "notes/notat_feltnotat.md", "md_bom", "memo", "medvirkning", "",
        "researcher", "2025-10-15", "Feltnotat etter innbyggerpanelets fjerde samling"),
    Doc("int_plansjef", "medvirkning/int_plansjef.odt", "odt_interview", "interview",
        "medvirkning", "", "administration", "2025-10-29",
        "Intervju med prosjektleder for Lyngvik 2040",
        extra={"informant": "Marianne Fjelde", "position": "samfunnsplanlegger, prosjektleder",
               "interviewer": "Intervjuer"}),
    Doc("samfunnsdel_forslag_2026", "vedtak/samfunnsdel_forslag_2026.pdf", "pdf", "policy",
        "vedtak", "", "administration", "2026-05-05",
        "Kommuneplanens samfunnsdel 2026–2040, forslag til sluttbehandling",
        extra={"plan_level": "samfunnsdel"}),
    Doc("handlingsdel_2027_2030", "vedtak/handlingsdel_2027_2030.html", "html", "policy",
        "vedtak", "", "administration", "2026-05-20",
        "Handlingsdel med økonomiplan 2027–2030, kapittel 3",
        extra={"plan_level": "handlingsdel"}),
    Doc("ref_kommunestyret_2026_06", "vedtak/ref_kommunestyret_2026_06.md", "md", "minutes",
        "vedtak", "", "politician", "2026-06-11", "Møtebok Lyngvik kommunestyre 11. juni 2026"),
    Doc("int_opposisjon", "vedtak/int_opposisjon.txt", "txt_utf16_caps", "interview",
        "vedtak", "Ospdalen", "politician", "2026-06-24",
        "Intervju med gruppeleder for Lyngvik Bygdeliste",
        extra={"informant": "Gunnar Teigen", "position": "gruppeleder, formannskapsmedlem",
               "interviewer": "Forsker"}),
]

# The trust-based governance reform in a municipal service sector (partly nynorsk).
TILLIT_BREIVIK: list[Doc] = [
    Doc("sak_tillitsreform_2024", "forankring/sak_tillitsreform_2024.html", "html", "policy",
        "forankring", "", "administration", "2024-06-20",
        "Saksframlegg og vedtak: tillitsreform i heimetenestene", language="nn",
        extra={"plan_level": "kommunestyrevedtak"}),
    Doc("ref_helse_omsorgsutvalet_2024_05",
        "forankring/ref_helse_omsorgsutvalet_2024_05.docx", "docx", "minutes", "forankring",
        "", "politician", "2024-05-28", "Møtebok for helse- og omsorgsutvalet 28. mai 2024",
        language="nn"),
    Doc("int_hovudtillitsvald_fagforbundet",
        "forankring/int_hovudtillitsvald_fagforbundet.txt", "txt_timestamps", "interview",
        "forankring", "", "partner", "2024-09-17",
        "Intervju med hovudtillitsvald i Fagforbundet", language="nn",
        extra={"informant": "Gunn Heggheim", "position": "hovudtillitsvald Fagforbundet",
               "interviewer": "Forskar"}),
    Doc("tillitsprinsipp_heimetenestene", "forankring/tillitsprinsipp_heimetenestene.pdf",
        "pdf", "policy", "forankring", "", "administration", "2024-10-10",
        "Tillitsprinsipp for heimetenestene i Breivik kommune", language="nn",
        extra={"plan_level": "prinsippdokument"}),
    Doc("int_kommunedirektor", "forankring/int_kommunedirektor.vtt", "vtt", "interview",
        "forankring", "", "administration", "2024-11-05",
        "Intervju med kommunedirektøren i Breivik", language="nn",
        extra={"informant": "Hege Lysne", "position": "kommunedirektør",
               "interviewer": "Forskar"}),
    Doc("tenesteskildring_tildeling_2025", "utproving/tenesteskildring_tildeling_2025.odt",
        "odt", "policy", "utproving", "", "administration", "2025-01-15",
        "Tenesteskildring og rutine for tildeling i pilotsonene", language="nn",
        extra={"plan_level": "tenesteskildring og rutine"}),
    Doc("int_helsefagarbeidar_holmoy", "utproving/ytre/int_helsefagarbeidar_holmoy.docx",
        "docx_labels_alone", "interview", "utproving", "Ytre", "administration", "2025-05-14",
        "Intervju med helsefagarbeidar i Team Holmøy", language="nn",
        extra={"informant": "Synnøve Kleppe", "position": "helsefagarbeidar",
               "interviewer": "Forskar"}),
    Doc("int_einingsleiar_dalen", "utproving/dalen/int_einingsleiar_dalen.md", "md_bold",
        "interview", "utproving", "Dalen", "administration", "2025-06-03",
        "Intervju med einingsleiar for heimetenestene i Dalen", language="nn",
        extra={"informant": "Marte Lid", "position": "einingsleiar",
               "interviewer": "Forskar"}),
    Doc("int_tildelingskontoret", "utproving/sentrum/int_tildelingskontoret.docx",
        "docx_interview", "interview", "utproving", "Sentrum", "administration", "2025-09-02",
        "Intervju med leder for tildelingskontoret",
        extra={"informant": "Frode Aasen", "position": "leder tildelingskontoret",
               "interviewer": "Forsker"}),
    Doc("ref_styringsgruppa_2025_09", "utproving/ref_styringsgruppa_2025_09.rtf", "rtf",
        "minutes", "utproving", "", "administration", "2025-09-23",
        "Referat frå styringsgruppa for tillitsreforma 23. september 2025", language="nn"),
    Doc("int_brukar_parorande_dalen", "utproving/dalen/int_brukar_parorande_dalen.srt", "srt",
        "interview", "utproving", "Dalen", "citizen", "2025-10-08",
        "Intervju med bruker og pårørende i Storedalen",
        extra={"informant": "Ingebjørg Nes; Hilde Nes Berg",
               "position": "bruker; pårørende (datter)", "interviewer": "Forsker"}),
    Doc("notat_feltlogg_2025", "notes/notat_feltlogg_2025.md", "md_bom", "memo", "utproving",
        "", "researcher", "2025-11-20", "Feltlogg fra Breivik, høsten 2025"),
    Doc("hoep_2026_helse_omsorg", "evaluering/hoep_2026_helse_omsorg.pdf", "pdf", "policy",
        "evaluering", "", "administration", "2025-12-11",
        "Handlings- og økonomiplan 2026–2029, kapittel 5: helse og omsorg", language="nn",
        extra={"plan_level": "handlings- og økonomiplan"}),
    Doc("int_kommunestyremedlem_myrvang", "evaluering/int_kommunestyremedlem_myrvang.txt",
        "txt_cp1252", "interview", "evaluering", "", "politician", "2026-02-10",
        "Intervju med kommunestyremedlem (H)",
        extra={"informant": "Torstein Myrvang", "position": "kommunestyremedlem (opposisjon)",
               "interviewer": "Forsker"}),
    Doc("int_kommunalsjef_helse_omsorg", "evaluering/int_kommunalsjef_helse_omsorg.odt",
        "odt_interview", "interview", "evaluering", "", "administration", "2026-03-04",
        "Intervju med kommunalsjef for helse og omsorg", language="nn",
        extra={"informant": "Solveig Rygg", "position": "kommunalsjef helse og omsorg",
               "interviewer": "Forskar"}),
    Doc("note_partner_site_visit", "notes/note_partner_site_visit.docx", "docx", "memo",
        "evaluering", "", "researcher", "2026-03-20",
        "Site visit note from the international research partner", language="en"),
    Doc("ref_kommunestyret_2026_04", "evaluering/ref_kommunestyret_2026_04.md", "md",
        "minutes", "evaluering", "", "politician", "2026-04-23",
        "Møtebok Breivik kommunestyre 23. april 2026", language="nn"),
]

CASES: dict[str, list[Doc]] = {
    "digi_midtfjord": DIGI_MIDTFJORD,
    "samskaping_lyngvik": SAMSKAPING_LYNGVIK,
    "tillit_breivik": TILLIT_BREIVIK,
}


# -- parsing the sources ---------------------------------------------------------------------

@dataclass
class Block:
    """A unit of a markdown-ish source: heading, paragraph, list or table."""

    kind: str  # h1, h2, h3, p, ul, ol, table
    text: str = ""
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def parse_blocks(source: str) -> list[Block]:
    """Return the blocks of a markdown-ish source."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", source.strip()):
        lines = [line.rstrip() for line in chunk.split("\n") if line.strip()]
        first = lines[0]
        if first.startswith("#"):
            level = len(first) - len(first.lstrip("#"))
            blocks.append(Block(f"h{min(level, 3)}", first.lstrip("#").strip()))
            if len(lines) > 1:
                blocks.append(Block("p", " ".join(lines[1:])))
        elif first.startswith("|"):
            rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines
                    if not re.match(r"^\|?\s*:?-{2,}", line.strip())]
            blocks.append(Block("table", rows=rows))
        elif re.match(r"^- ", first):
            blocks.append(Block("ul", items=[re.sub(r"^- ", "", line) for line in lines]))
        elif re.match(r"^\d+\. ", first):
            blocks.append(Block("ol", items=[re.sub(r"^\d+\. ", "", line) for line in lines]))
        else:
            blocks.append(Block("p", "\n".join(lines)))
    return blocks


_TURN = re.compile(r"^(?P<label>[^:\n]{1,40}): (?P<text>.+)$")


def parse_interview(source: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Return (header paragraphs, [(speaker label, turn text)]) of an interview source."""
    header: list[str] = []
    turns: list[tuple[str, str]] = []
    for chunk in re.split(r"\n\s*\n", source.strip()):
        chunk = chunk.strip()
        match = _TURN.match(chunk)
        if match and "\n" not in chunk and (turns or _looks_like_label(match["label"])):
            turns.append((match["label"], match["text"]))
        elif turns:
            raise ValueError(f"not a speaker turn: {chunk[:60]!r}")
        else:
            header.append(chunk)
    return header, turns


def _looks_like_label(label: str) -> bool:
    return label in {"I", "R", "Forsker", "Intervjuer", "Informant"} or label[0].isupper() and (
        len(label.split()) <= 3)


# -- timing for transcripts ------------------------------------------------------------------

def _clock(seconds: float, millis: bool = True, comma: bool = False) -> str:
    whole = int(seconds)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    if not millis:
        return f"{h:02d}:{m:02d}:{s:02d}"
    ms = int(round((seconds - whole) * 1000))
    sep = "," if comma else "."
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cues(text: str, max_words: int = 18) -> list[str]:
    """Split a turn into subtitle-sized pieces at sentence ends (long sentences at commas)."""
    sentences = re.split(r"(?<=[.!?…])\s+", text)
    pieces: list[str] = []
    for sentence in sentences:
        words = sentence.split()
        while len(words) > max_words:
            pieces.append(" ".join(words[:max_words]))
            words = words[max_words:]
        if words:
            pieces.append(" ".join(words))
    merged: list[str] = []
    for piece in pieces:
        if merged and len(merged[-1].split()) + len(piece.split()) <= max_words // 2:
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return merged


def _timed(turns: list[tuple[str, str]]) -> list[tuple[str, list[tuple[float, float, str]]]]:
    """Return turns with (start, end, text) cues, at a calm speaking pace of 2.4 words/s."""
    clock = 4.0
    timed = []
    for label, text in turns:
        cues = []
        for piece in _cues(text):
            duration = max(1.2, len(piece.split()) / 2.4)
            cues.append((clock, clock + duration, piece))
            clock += duration + 0.15
        clock += 0.8
        timed.append((label, cues))
    return timed


# -- writers ---------------------------------------------------------------------------------

def write_text(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> None:
    """Write text with the given encoding and line endings (raising on unencodable text)."""
    path.write_bytes(text.replace("\n", newline).encode(encoding))


def render_txt_timestamps(header: list[str], turns: list[tuple[str, str]]) -> str:
    """Return an interview as ``[HH:MM:SS] Label: text`` lines, a blank line between turns."""
    parts = list(header)
    for label, cues in _timed(turns):
        parts.append(f"[{_clock(cues[0][0], millis=False)}] {label}: "
                     + " ".join(c[2] for c in cues))
    return "\n\n".join(parts) + "\n"


def render_labels_alone(header: list[str], turns: list[tuple[str, str]]) -> str:
    """Return an interview with each speaker in capitals on a line of its own."""
    parts = list(header) + [f"{label.upper()}\n{text}" for label, text in turns]
    return "\n\n".join(parts) + "\n"


def render_md_bold(header: list[str], turns: list[tuple[str, str]]) -> str:
    """Return an interview in markdown with bold speaker labels."""
    parts = [f"*{h}*" for h in header] + [f"**{label}:** {text}" for label, text in turns]
    return "\n\n".join(parts) + "\n"


def render_vtt(header: list[str], turns: list[tuple[str, str]]) -> str:
    """Return a WebVTT transcript with ``<v Speaker>`` voices."""
    lines = ["WEBVTT", "", "NOTE", *header, ""]
    for label, cues in _timed(turns):
        for start, end, text in cues:
            lines += [f"{_clock(start)} --> {_clock(end)}", f"<v {label}>{text}", ""]
    return "\n".join(lines)


def render_srt(turns: list[tuple[str, str]]) -> str:
    """Return an SRT transcript with the speaker named at the start of every cue."""
    lines: list[str] = []
    number = 0
    for label, cues in _timed(turns):
        for start, end, text in cues:
            number += 1
            lines += [str(number), f"{_clock(start, comma=True)} --> {_clock(end, comma=True)}",
                      f"{label}: {text}", ""]
    return "\n".join(lines)


def render_html(blocks: list[Block], title: str) -> str:
    """Return a web page as a municipal records portal would serve it."""
    esc = html.escape
    body: list[str] = []
    for block in blocks:
        if block.kind.startswith("h"):
            body.append(f"<{block.kind}>{esc(block.text)}</{block.kind}>")
        elif block.kind == "p":
            body.append("<p>" + esc(block.text).replace("\n", "<br>\n") + "</p>")
        elif block.kind in ("ul", "ol"):
            items = "".join(f"\n  <li>{esc(i)}</li>" for i in block.items)
            body.append(f"<{block.kind}>{items}\n</{block.kind}>")
        elif block.kind == "table":
            head, *rows = block.rows
            cells = "".join(f"<th>{esc(c)}</th>" for c in head)
            trs = "".join("\n  <tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>"
                          for r in rows)
            body.append(f"<table>\n  <tr>{cells}</tr>{trs}\n</table>")
    return (
        "<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{esc(title)}</title>\n<style>body {{ font-family: sans-serif; }}</style>\n"
        "<script>window.dataLayer = window.dataLayer || [];</script>\n</head>\n<body>\n"
        "<nav aria-label=\"Innsyn\"><a href=\"/\">Forside</a> &gt; <a href=\"/moter\">"
        "Møter og saker</a></nav>\n<main>\n" + "\n".join(body)
        + "\n</main>\n<footer>Publisert i innsynsløsningen.</footer>\n</body>\n</html>\n")


def write_docx(path: Path, blocks: list[Block] | None = None,
               turns: list[tuple[str, str]] | None = None, header: list[str] | None = None,
               labels_alone: bool = False) -> None:
    """Write a Word document from blocks, or an interview from header and turns."""
    import docx

    document = docx.Document()
    document.core_properties.author = "casekit demo"
    document.core_properties.created = FIXED_TIME
    document.core_properties.modified = FIXED_TIME
    for block in blocks or []:
        if block.kind.startswith("h"):
            document.add_heading(block.text, level=int(block.kind[1]) - 1 or 1)
        elif block.kind == "p":
            document.add_paragraph(block.text.replace("\n", " "))
        elif block.kind in ("ul", "ol"):
            style = "List Bullet" if block.kind == "ul" else "List Number"
            for item in block.items:
                document.add_paragraph(item, style=style)
        elif block.kind == "table":
            table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(block.rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    for paragraph in header or []:
        document.add_paragraph(paragraph).runs[0].italic = True
    for label, text in turns or []:
        if labels_alone:
            document.add_paragraph().add_run(label).bold = True
            document.add_paragraph(text)
        else:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{label}:").bold = True
            paragraph.add_run(f" {text}")
    document.save(str(path))


def write_odt(path: Path, blocks: list[Block] | None = None,
              turns: list[tuple[str, str]] | None = None, header: list[str] | None = None
              ) -> None:
    """Write an OpenDocument text from blocks, or an interview from header and turns."""
    from odf import table as odftable
    from odf import text as odftext
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    body = document.text
    for block in blocks or []:
        if block.kind.startswith("h"):
            body.addElement(odftext.H(outlinelevel=int(block.kind[1]), text=block.text))
        elif block.kind == "p":
            body.addElement(odftext.P(text=block.text.replace("\n", " ")))
        elif block.kind in ("ul", "ol"):
            olist = odftext.List()
            for item in block.items:
                entry = odftext.ListItem()
                entry.addElement(odftext.P(text=item))
                olist.addElement(entry)
            body.addElement(olist)
        elif block.kind == "table":
            grid = odftable.Table(name="Tabell1")
            grid.addElement(odftable.TableColumn(numbercolumnsrepeated=len(block.rows[0])))
            for row in block.rows:
                tr = odftable.TableRow()
                for value in row:
                    cell = odftable.TableCell(valuetype="string")
                    cell.addElement(odftext.P(text=value))
                    tr.addElement(cell)
                grid.addElement(tr)
            body.addElement(grid)
    for paragraph in header or []:
        body.addElement(odftext.P(text=paragraph))
    for label, text in turns or []:
        body.addElement(odftext.P(text=f"{label}: {text}"))
    document.save(str(path))


def _rtf_escape(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in "\\{}":
            out.append("\\" + char)
        elif code < 128:
            out.append(char)
        else:
            try:
                out.append(f"\\'{char.encode('cp1252')[0]:02x}")
            except UnicodeEncodeError:
                out.append(f"\\u{code if code < 32768 else code - 65536}?")
    return "".join(out)


def render_rtf(blocks: list[Block]) -> str:
    """Return an RTF document (Windows-1252 code page, as Word writes it)."""
    parts = [r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Calibri;}}\f0\fs22"]
    for block in blocks:
        if block.kind.startswith("h"):
            size = {"h1": 32, "h2": 26, "h3": 24}[block.kind]
            parts.append(rf"{{\pard\b\fs{size} {_rtf_escape(block.text)}\par}}")
        elif block.kind == "p":
            parts.append(rf"{{\pard {_rtf_escape(block.text.replace(chr(10), ' '))}\par}}")
        elif block.kind in ("ul", "ol"):
            for n, item in enumerate(block.items, start=1):
                mark = r"\bullet" if block.kind == "ul" else f"{n}."
                parts.append(rf"{{\pard\li360 {mark} {_rtf_escape(item)}\par}}")
        elif block.kind == "table":
            for row in block.rows:
                parts.append(rf"{{\pard {_rtf_escape(' | '.join(row))}\par}}")
    return "\n".join(parts) + "\n}\n"


def write_pdf(path: Path, blocks: list[Block], title: str) -> None:
    """Write an A4 PDF with a real text layer (DejaVu from matplotlib covers Norwegian)."""
    import matplotlib
    from fpdf import FPDF

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_TIME)
    pdf.set_title(title)
    pdf.set_author("casekit demo")
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for block in blocks:
        if block.kind.startswith("h"):
            size = {"h1": 16, "h2": 13, "h3": 11.5}[block.kind]
            pdf.set_font("DejaVu", "B", size)
            pdf.ln(3)
            pdf.multi_cell(width, size * 0.5, block.text, new_x="LMARGIN", new_y="NEXT",
                           align="L")
            pdf.ln(2.5)
        elif block.kind == "p":
            pdf.set_font("DejaVu", "", 10.5)
            pdf.multi_cell(width, 5.2, block.text.replace("\n", " "), new_x="LMARGIN", align="L",
                           new_y="NEXT")
            pdf.ln(3.5)
        elif block.kind in ("ul", "ol"):
            pdf.set_font("DejaVu", "", 10.5)
            for n, item in enumerate(block.items, start=1):
                mark = "•" if block.kind == "ul" else f"{n}."
                pdf.multi_cell(width, 5.2, f"{mark} {item}", new_x="LMARGIN", new_y="NEXT",
                               align="L")
                pdf.ln(1.5)
            pdf.ln(2)
        elif block.kind == "table":
            pdf.set_font("DejaVu", "", 9)
            with pdf.table(text_align="LEFT", line_height=5) as table:
                for row in block.rows:
                    cells = table.row()
                    for value in row:
                        cells.cell(value)
            pdf.ln(3.5)
    pdf.output(str(path))


# -- building --------------------------------------------------------------------------------

def build_document(doc: Doc, source: str, target: Path) -> None:
    """Render one source into ``target`` in the document's style."""
    target.parent.mkdir(parents=True, exist_ok=True)
    style = doc.style
    if doc.kind == "interview":
        header, turns = parse_interview(source)
        if style == "txt":
            write_text(target, source.strip() + "\n")
        elif style == "txt_timestamps":
            write_text(target, render_txt_timestamps(header, turns))
        elif style == "txt_cp1252":
            # A transcript saved by Word on Windows: Windows-1252 with CRLF line endings.
            write_text(target, "\n\n".join(header + [f"{a}: {b}" for a, b in turns]) + "\n",
                       encoding="cp1252", newline="\r\n")
        elif style == "txt_utf16_caps":
            write_text(target, render_labels_alone(header, turns), encoding="utf-16")
        elif style == "md_bold":
            write_text(target, render_md_bold(header, turns))
        elif style == "vtt":
            write_text(target, render_vtt(header, turns))
        elif style == "srt":
            write_text(target, render_srt(turns))
        elif style == "docx_labels_alone":
            write_docx(target, header=header, turns=turns, labels_alone=True)
        elif style == "docx_interview":
            write_docx(target, header=header, turns=turns)
        elif style == "odt_interview":
            write_odt(target, header=header, turns=turns)
        else:
            raise ValueError(f"{doc.doc_id}: unknown interview style {style}")
        return
    blocks = parse_blocks(source)
    if style == "pdf":
        write_pdf(target, blocks, doc.title)
    elif style == "docx":
        write_docx(target, blocks=blocks)
    elif style == "odt":
        write_odt(target, blocks=blocks)
    elif style == "rtf":
        write_text(target, render_rtf(blocks), encoding="ascii")
    elif style == "html":
        write_text(target, render_html(blocks, doc.title))
    elif style in ("md", "md_bom"):
        write_text(target, source.strip() + "\n",
                   encoding="utf-8-sig" if style == "md_bom" else "utf-8")
    else:
        raise ValueError(f"{doc.doc_id}: unknown style {style}")


def write_manifest(case_dir: Path, docs: list[Doc]) -> None:
    """Write manifest.csv for the case's documents."""
    columns = ["doc_id", "file", "kind", "tranche", "municipality", "actor_role", "date",
               "language", "title", *EXTRA_COLUMNS]
    with open(case_dir / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for d in docs:
            writer.writerow([d.doc_id, d.file, d.kind, d.tranche, d.municipality, d.actor_role,
                             d.date, d.language, d.title,
                             *(d.extra.get(c, "") for c in EXTRA_COLUMNS)])


def build(case_ids: list[str] | None = None, out: Path = CORPORA) -> None:
    """Build every demo case (or the named ones) into ``out`` (default corpora/)."""
    for case_id, docs in CASES.items():
        if (case_ids and case_id not in case_ids) or not docs:
            continue
        case_dir = out / case_id
        for doc in docs:
            source = (SOURCES / case_id / f"{doc.doc_id}.txt").read_text(encoding="utf-8")
            build_document(doc, source, case_dir / doc.file)
        write_manifest(case_dir, docs)
        print(f"{case_id}: built {len(docs)} documents into {case_dir}")


if __name__ == "__main__":
    build(sys.argv[1:] or None)
