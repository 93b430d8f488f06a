"""Tests for casekit.readers: every format, every encoding, every bad input.

All files are generated in ``tmp_path``; no network, no fixtures on disk.
"""

from __future__ import annotations

import codecs
import random
import zipfile
from pathlib import Path

import pytest

from casekit.errors import Msg, ReadError
from casekit.readers import SUPPORTED_EXTENSIONS, PageSpan, read_document
from casekit.readers.html import WRONG_CHARSET_WARNING
from casekit.readers.text import MISNAMED_HINT, decode_bytes

NORWEGIAN = "Rømmegrøt med blåbærsyltetøy og fløte i Ålesund: Æres den som æres bør"


def expect_error(path: Path, problem: str, hint: str | None = None) -> ReadError:
    """Assert that reading ``path`` fails with exactly ``problem`` (and ``hint``)."""
    with pytest.raises(ReadError) as info:
        read_document(path)
    error = info.value
    assert error.path == str(path)
    assert error.problem == problem
    assert error.hint == hint
    assert str(error).startswith(f"{path}: {problem}")
    return error


def expect_error_prefix(path: Path, prefix: str) -> ReadError:
    """Assert that reading ``path`` fails with a message starting with ``prefix``."""
    with pytest.raises(ReadError) as info:
        read_document(path)
    assert info.value.path == str(path)
    assert info.value.problem.startswith(prefix)
    assert path.name in str(info.value)
    return info.value


# --- plain text and encodings ------------------------------------------------------------


def test_utf8_text_is_normalised(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    source = f"  {NORWEGIAN}\r\nandre linje  \r\n\r\n\r\n\r\nTredje\u00ad avsnitt\r\n"
    path.write_bytes(source.encode())
    result = read_document(path)
    assert result.text == f"{NORWEGIAN}\nandre linje\n\nTredje avsnitt"
    assert result.reader == "text"
    assert result.encoding == "utf-8"
    assert result.warnings == []


def test_markdown_is_kept_as_written(tmp_path: Path) -> None:
    source = "# Referat\n\n- punkt *én*\n- punkt **to**\n\n[link](https://example.org)"
    path = tmp_path / "notes.md"
    path.write_text(source, encoding="utf-8")
    assert read_document(path).text == source


def test_nfc_normalisation(tmp_path: Path) -> None:
    path = tmp_path / "nfd.txt"
    path.write_text("a\u030a og o\u0308", encoding="utf-8")  # decomposed å and ö
    assert read_document(path).text == "å og ö"


@pytest.mark.parametrize(
    ("prefix", "codec", "expected"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
        (b"", "utf-16-le", "utf-16-le"),
        (b"", "utf-16-be", "utf-16-be"),
    ],
)
def test_unicode_encodings(tmp_path: Path, prefix: bytes, codec: str, expected: str) -> None:
    source = f"{NORWEGIAN}.\nIntervjuer: «Hva så?» – “bra” €5\n"
    path = tmp_path / f"{expected}.txt"
    path.write_bytes(prefix + source.encode(codec))
    result = read_document(path)
    assert result.text == source.strip()
    assert result.encoding == expected
    assert result.warnings == []


def test_windows_1252_transcript(tmp_path: Path) -> None:
    source = "Intervjuer: «Hvordan gikk møtet?»\r\nInnbygger: Det gikk – “ærlig talt” – fint; 5 €."
    path = tmp_path / "transcript.txt"
    path.write_bytes(source.encode("cp1252"))
    result = read_document(path)
    assert result.text == source.replace("\r\n", "\n")
    assert result.encoding == "windows-1252"
    assert len(result.warnings) == 1
    assert "windows-1252" in result.warnings[0]


def test_latin1_without_c1_bytes(tmp_path: Path) -> None:
    source = f"{NORWEGIAN}. «Sitat» på ½ side, 3° og ±5."
    data = source.encode("iso-8859-1")
    assert not any(0x80 <= byte <= 0x9F for byte in data)
    path = tmp_path / "latin1.txt"
    path.write_bytes(data)
    result = read_document(path)
    assert result.text == source
    assert result.encoding == "iso-8859-1"
    assert "iso-8859-1" in result.warnings[0]


def test_other_single_byte_encoding_falls_back_to_charset_normalizer(tmp_path: Path) -> None:
    source = "Привет, как дела? Это небольшой тест русского текста в старой кодировке."
    path = tmp_path / "russian.txt"
    path.write_bytes(source.encode("cp1251"))
    result = read_document(path)
    assert result.text == source
    assert result.encoding == "cp1251"
    assert result.warnings


def test_decode_bytes_returns_text_and_encoding() -> None:
    assert decode_bytes("æøå".encode(), "x.txt") == ("æøå", "utf-8")
    assert decode_bytes("æøå".encode("cp1252"), "x.txt") == ("æøå", "iso-8859-1")
    assert decode_bytes(b"", "x.txt") == ("", "utf-8")


def test_unknown_encoding(tmp_path: Path) -> None:
    rng = random.Random(1)
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(rng.randrange(0xA0, 0x100) for _ in range(300)))
    expect_error(path, Msg.FILE_ENCODING_UNKNOWN.format(
        tried="Windows-1252, ISO-8859-1, charset-normalizer"))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    expect_error(path, Msg.FILE_EMPTY)


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(b" \r\n\t\n")
    expect_error(path, Msg.FILE_NO_TEXT)


def test_binary_file_with_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(256)) * 4)
    expect_error(path, Msg.FILE_BINARY.format(kind="plain"))


def test_binary_file_with_control_bytes(tmp_path: Path) -> None:
    path = tmp_path / "control.txt"
    path.write_bytes(b"abc\x01\x02\x03\x04\x05\x06def\x10\x11\x12" * 50)
    expect_error(path, Msg.FILE_BINARY.format(kind="plain"))


def test_binary_that_mimics_utf16(tmp_path: Path) -> None:
    path = tmp_path / "samples.txt"
    path.write_bytes(bytes(x for i in range(512) for x in (i % 32, 0)))
    expect_error(path, Msg.FILE_BINARY.format(kind="plain"))


def test_pdf_renamed_to_txt(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "real.pdf", [["Tekst"]])
    path = tmp_path / "report.txt"
    path.write_bytes(pdf.read_bytes())
    error = expect_error(path, Msg.FILE_BINARY.format(kind="plain"),
                         hint=MISNAMED_HINT.format(kind="a PDF"))
    assert "looks like a PDF file with the wrong extension" in str(error)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00", "a ZIP (or .docx/.odt)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
    ],
)
def test_other_files_renamed_to_txt(tmp_path: Path, data: bytes, kind: str) -> None:
    path = tmp_path / "misnamed.txt"
    path.write_bytes(data + b"\x00" * 32)
    expect_error(path, Msg.FILE_BINARY.format(kind="plain"), hint=MISNAMED_HINT.format(kind=kind))


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"whatever")
    expect_error(path, Msg.FILE_EXTENSION_UNKNOWN.format(
        ext=".pptx", supported=", ".join(SUPPORTED_EXTENSIONS)))


def test_missing_file(tmp_path: Path) -> None:
    expect_error_prefix(tmp_path / "missing.txt", "cannot open the file")


# --- docx --------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    document.add_heading("Referat fra møtet", level=1)
    paragraph = document.add_paragraph("Første linje")
    paragraph.add_run().add_break()
    paragraph.add_run("andre linje med æøå")
    document.add_paragraph("")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(table.rows, [("Navn", "Rolle", "År"), ("", "", ""),
                                        ("Åse", "Innbygger", "2024")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Etter tabellen.")
    path = tmp_path / "referat.docx"
    document.save(str(path))

    result = read_document(path)
    assert result.text == (
        "Referat fra møtet\n\nFørste linje\nandre linje med æøå\n\n"
        "Navn | Rolle | År\n\nÅse | Innbygger | 2024\n\nEtter tabellen."
    )
    assert result.reader == "docx"


def test_docx_merged_cell_appears_once(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    table = document.add_table(rows=1, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "Nærvær"
    table.cell(0, 2).text = "Fravær"
    path = tmp_path / "merged.docx"
    document.save(str(path))
    assert read_document(path).text == "Nærvær | Fravær"


def test_docx_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(random.Random(2).randbytes(2048))
    expect_error(path, Msg.DOCX_UNREADABLE.format(error="it is not a zip package"))


def test_docx_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a document")
    expect_error(path, Msg.DOCX_UNREADABLE.format(
        error="it is a zip archive but not a Word document"))


# --- odt ---------------------------------------------------------------------------------


def make_odt(path: Path) -> Path:
    """Write an .odt with a heading, spaced text, a list, a section and a table."""
    from odf import teletype
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, P, Section

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Høring"))
    paragraph = P()
    teletype.addTextToElement(paragraph, "To  mellomrom\tog tab\nny linje")
    document.text.addElement(paragraph)
    items = List()
    for value in ("punkt én", "punkt to"):
        item = ListItem()
        item.addElement(P(text=value))
        items.addElement(item)
    document.text.addElement(items)
    section = Section(name="Vedlegg")
    section.addElement(P(text="Avsnitt i en seksjon"))
    document.text.addElement(section)
    table = Table(name="Deltakere")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for values in (("Navn", "Rolle"), ("Ærlig Åge", "Innbygger")):
        row = TableRow()
        for value in values:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    document.text.addElement(P(text="Slutt."))
    document.save(str(path))
    return path


def test_odt_in_document_order(tmp_path: Path) -> None:
    result = read_document(make_odt(tmp_path / "hoering.odt"))
    assert result.text == (
        "Høring\n\nTo  mellomrom\tog tab\nny linje\n\npunkt én\n\npunkt to\n\n"
        "Avsnitt i en seksjon\n\nNavn | Rolle\n\nÆrlig Åge | Innbygger\n\nSlutt."
    )
    assert result.reader == "odt"


def test_odt_damaged(tmp_path: Path) -> None:
    data = make_odt(tmp_path / "good.odt").read_bytes()
    path = tmp_path / "damaged.odt"
    path.write_bytes(data[: len(data) // 2])
    expect_error_prefix(path, Msg.ODT_UNREADABLE.format(error=""))


# --- rtf ---------------------------------------------------------------------------------

RTF = (
    r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}"
    r"{\*\generator Hand 1.0;}\f0\fs24 "
    r"Bl\'e5b\'e6rgr\'f8t og \u8220?sitat\u8221? \endash  f\u248?rst\par "
    r"Linje en\line linje to\par\pard "
    r"\trowd\cellx2000\cellx4000 Navn\cell \'c6rlig \'c5ge\cell\row "
    r"Siste avsnitt med \{klammer\} og \\backslash\par}"
)


def test_rtf_escapes_and_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "brev.rtf"
    path.write_bytes(RTF.encode("ascii"))
    result = read_document(path)
    assert result.text == (
        "Blåbærgrøt og “sitat” – først\n\nLinje en\nlinje to\n\nNavn | Ærlig Åge\n\n"
        "Siste avsnitt med {klammer} og \\backslash"
    )
    assert result.reader == "rtf"
    assert result.warnings == []


def test_rtf_line_break_with_uc0(tmp_path: Path) -> None:
    path = tmp_path / "uc0.rtf"
    path.write_bytes(rb"{\rtf1\ansi\uc0 Ett\line to \u230 rend\par}")
    assert read_document(path).text == "Ett\nto ærend"


def test_rtf_raw_bytes_in_declared_code_page(tmp_path: Path) -> None:
    path = tmp_path / "raw.rtf"
    path.write_bytes(r"{\rtf1\ansi\ansicpg1252 Rå tekst – æøå\par}".encode("cp1252"))
    result = read_document(path)
    assert result.text == "Rå tekst – æøå"
    assert result.encoding == "windows-1252"


def test_rtf_not_rtf(tmp_path: Path) -> None:
    path = tmp_path / "fake.rtf"
    path.write_text("Just text pretending to be RTF", encoding="utf-8")
    expect_error(path, Msg.RTF_UNREADABLE.format(error="it does not start with {\\rtf"))


# --- pdf ---------------------------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[str]], gap: float = 10) -> Path:
    """Write a PDF with one list of paragraphs per page (an empty list: a blank page)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for paragraphs in pages:
        pdf.add_page()
        for index, paragraph in enumerate(paragraphs):
            if index:
                pdf.ln(gap)
            pdf.multi_cell(0, 6, paragraph)
    pdf.output(str(path))
    return path


def test_pdf_pages_keep_their_numbers(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "plan.pdf", [["Side én om blåbær."], [], ["Side tre, «slutt»."]])
    result = read_document(path)
    assert result.text == "Side én om blåbær.\n\nSide tre, «slutt»."
    assert result.pages == [PageSpan(1, 0, 18), PageSpan(3, 20, 38)]
    assert [result.text[p.start:p.end] for p in result.pages] == [
        "Side én om blåbær.", "Side tre, «slutt»."]
    assert result.reader == "pdf"


def test_pdf_paragraph_breaks_from_vertical_gaps(tmp_path: Path) -> None:
    first = "Første avsnitt om kommunens plan for ældreomsorgen og de nye reglene. " * 3
    second = "Andre avsnitt om bin-\nde-streker, som ikke fjernes. " * 2
    path = make_pdf(tmp_path / "avsnitt.pdf", [[first.strip(), second.strip()]])
    result = read_document(path)
    # Lines wrap where fpdf2 wrapped them; hyphenated words stay as they are.
    assert result.text == (
        "Første avsnitt om kommunens plan for ældreomsorgen og de nye reglene. Første avsnitt "
        "om\nkommunens plan for ældreomsorgen og de nye reglene. Første avsnitt om kommunens "
        "plan for\nældreomsorgen og de nye reglene.\n\n"
        "Andre avsnitt om bin-\nde-streker, som ikke fjernes. Andre avsnitt om bin-\n"
        "de-streker, som ikke fjernes."
    )
    assert result.pages == [PageSpan(1, 0, len(result.text))]


def test_pdf_short_page_uses_font_size_for_spacing(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "kort.pdf", [["Overskrift", "En linje.\nTo linjer."]])
    assert read_document(path).text == "Overskrift\n\nEn linje.\nTo linjer."
    path = make_pdf(tmp_path / "tett.pdf", [["Overskrift", "En linje.\nTo linjer."]], gap=0)
    assert read_document(path).text == "Overskrift\nEn linje.\nTo linjer."


def test_pdf_rotated_text_falls_back_to_plain_lines(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.cell(0, 10, "Vannrett linje.")
    with pdf.rotation(90, x=100, y=150):
        pdf.text(100, 150, "Loddrett tekst")
    path = tmp_path / "rotated.pdf"
    pdf.output(str(path))
    assert read_document(path).text == "Vannrett linje.\nLoddrett tekst"


ALGORITHMS = ["RC4-128", "AES-128", "AES-256"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_pdf_owner_password_only_is_readable(tmp_path: Path, algorithm: str) -> None:
    from pypdf import PdfReader, PdfWriter

    source = make_pdf(tmp_path / "open.pdf", [["Beskyttet mot redigering."]])
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="", owner_password="hemmelig", algorithm=algorithm)
    path = tmp_path / "owner.pdf"
    writer.write(path)
    assert read_document(path).text == "Beskyttet mot redigering."


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_pdf_encrypted(tmp_path: Path, algorithm: str) -> None:
    from pypdf import PdfReader, PdfWriter

    source = make_pdf(tmp_path / "open.pdf", [["Hemmelig tekst."]])
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="kode", owner_password="hemmelig", algorithm=algorithm)
    path = tmp_path / "locked.pdf"
    writer.write(path)
    expect_error(path, Msg.PDF_ENCRYPTED)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")
    pdf.line(10, 100, 150, 120)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    error = expect_error(path, Msg.PDF_NO_TEXT, hint=Msg.PDF_NO_TEXT_HINT)
    assert "ocrmypdf" in str(error)


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref",
     b"This is not a PDF at all, just text in a .pdf file."],
)
def test_pdf_corrupt(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    expect_error_prefix(path, Msg.PDF_CORRUPT.format(error=""))


def test_pdf_truncated(tmp_path: Path) -> None:
    data = make_pdf(tmp_path / "whole.pdf", [["Tekst"]]).read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[:200])
    expect_error_prefix(path, Msg.PDF_CORRUPT.format(error=""))


# --- html --------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Ignored title</title>
<style>p { color: red; }</style><script>var x = "<p>not text</p>";</script></head>
<body>
<noscript>Enable JavaScript</noscript><template><p>template</p></template>
<svg><text>svg text</text></svg>
<h1>Høring   om
  planen</h1>
<p>Første &amp; <b>viktigste</b> avsnitt&nbsp;med &lt;script&gt;alert(1)&lt;/script&gt;.</p>
<div>Linje en<br>Linje to</div>
<ul><li>Ærlighet</li><li>Nærhet</li></ul>
<table><caption>Deltakere</caption>
<tr><th>Navn</th><th>Rolle</th></tr>
<tr><td>Åse</td><td><p>Innbygger</p><p>og styreleder</p></td></tr>
<tr><td></td><td></td></tr>
</table>
<pre>  kode   med
    mellomrom</pre>
<p>Slutt</p>
</body></html>"""


def test_html_blocks_tables_and_skipped_elements(tmp_path: Path) -> None:
    path = tmp_path / "side.html"
    path.write_text(HTML, encoding="utf-8")
    result = read_document(path)
    assert result.text == (
        "Høring om planen\n\n"
        "Første & viktigste avsnitt\u00a0med <script>alert(1)</script>.\n\n"
        "Linje en\n\nLinje to\n\nÆrlighet\n\nNærhet\n\nDeltakere\n\n"
        "Navn | Rolle\n\nÅse | Innbygger og styreleder\n\n"
        "kode   med\n    mellomrom\n\nSlutt"  # normalise_text strips a block's ends
    )
    assert result.encoding == "utf-8"
    assert result.reader == "html"


@pytest.mark.parametrize(
    "meta",
    ['<meta charset="windows-1252">',
     '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'],
)
def test_html_declared_charset(tmp_path: Path, meta: str) -> None:
    path = tmp_path / "gammel.htm"
    page = f"<html><head>{meta}</head><body><p>Bjørn – “æøå”</p></body></html>"
    path.write_bytes(page.encode("cp1252"))
    result = read_document(path)
    assert result.text == "Bjørn – “æøå”"
    assert result.encoding == "windows-1252"
    assert result.warnings == []


def test_html_mislabelled_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.html"
    page = '<meta charset="windows-1252"><p>Blåbær – æøå</p>'
    path.write_bytes(page.encode("utf-8"))
    result = read_document(path)
    assert result.text == "Blåbær – æøå"
    assert result.encoding == "utf-8"
    assert result.warnings == [WRONG_CHARSET_WARNING.format(declared="windows-1252",
                                                            encoding="utf-8")]


def test_html_without_charset_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "latin.html"
    path.write_bytes("<p>Blåbær</p><p>Rødgrøt</p>".encode("iso-8859-1"))
    result = read_document(path)
    assert result.text == "Blåbær\n\nRødgrøt"
    assert result.encoding == "iso-8859-1"
    assert result.warnings


def test_html_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.html"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    expect_error(path, Msg.FILE_BINARY.format(kind="HTML"),
                 hint=MISNAMED_HINT.format(kind="a PNG image"))


# --- subtitles ---------------------------------------------------------------------------

VTT = """WEBVTT

NOTE a comment that is not speech

1
00:00:01.000 --> 00:00:04.000
<v Intervjuer>Hvordan <i>opplevde</i> du møtet?

2
00:00:04.500 --> 00:00:07.250
<v.loud Anne Holm>Det var <c.yellow>bra</c>,
<00:00:06.000>synes jeg.</v>

3
00:00:07.250 --> 00:00:09.000
<v Anne Holm>Særlig &amp; fordi vi ble hørt.

4
00:00:09.500 --> 00:00:11.000
<v Intervjuer>Takk.</v> <v Anne Holm>Selv takk.
"""


def test_vtt_voices_merge_into_turns(tmp_path: Path) -> None:
    path = tmp_path / "interview.vtt"
    path.write_text(VTT, encoding="utf-8")
    result = read_document(path)
    assert result.text == (
        "Intervjuer: Hvordan opplevde du møtet?\n\n"
        "Anne Holm: Det var bra, synes jeg. Særlig & fordi vi ble hørt.\n\n"
        "Intervjuer: Takk.\n\n"
        "Anne Holm: Selv takk."
    )
    spoken = [result.text[turn.start:turn.end] for turn in result.turns]
    assert spoken == ["Hvordan opplevde du møtet?",
                      "Det var bra, synes jeg. Særlig & fordi vi ble hørt.",
                      "Takk.", "Selv takk."]
    assert [(t.speaker, t.time_start, t.time_end) for t in result.turns] == [
        ("Intervjuer", "00:00:01.000", "00:00:04.000"),
        ("Anne Holm", "00:00:04.500", "00:00:09.000"),
        ("Intervjuer", "00:00:09.500", "00:00:11.000"),
        ("Anne Holm", "00:00:09.500", "00:00:11.000"),
    ]
    assert result.reader == "vtt"


def test_vtt_without_voices_uses_prefixes(tmp_path: Path) -> None:
    path = tmp_path / "prefix.vtt"
    path.write_text(
        "WEBVTT\n\n00:01.000 --> 00:02.000\nPer: Hei på deg.\n\n"
        "00:02.000 --> 00:03.000\nPer: Hvordan går det?\n\n"
        "00:03.000 --> 00:04.000\n(musikk)\n",
        encoding="utf-8",
    )
    result = read_document(path)
    assert result.text == "Per: Hei på deg. Hvordan går det?\n\n(musikk)"
    assert [(t.speaker, result.text[t.start:t.end], t.time_start, t.time_end)
            for t in result.turns] == [
        ("Per", "Hei på deg. Hvordan går det?", "00:00:01.000", "00:00:03.000"),
        (None, "(musikk)", "00:00:03.000", "00:00:04.000"),
    ]


SRT = """1
00:00:01,000 --> 00:00:03,500
Intervjuer: <i>Hva</i> mener du,
ærlig talt, om planen?

2
00:00:03,600 --> 00:00:06,000
[Åse] {\\an8}Den er for dyr.

3
00:00:06,000 --> 00:00:08,000
- Åse: Alt for dyr.

4
00:00:08,500 --> 00:00:09,000
Applaus i salen

5
00:00:09,000 --> 00:00:10,000
- Intervjuer: Takk.
- Åse: Selv takk.
"""


def test_srt_prefixes_and_markup(tmp_path: Path) -> None:
    path = tmp_path / "interview.srt"
    path.write_bytes(SRT.encode("cp1252"))
    result = read_document(path)
    assert result.text == (
        "Intervjuer: Hva mener du, ærlig talt, om planen?\n\n"
        "Åse: Den er for dyr. Alt for dyr.\n\n"
        "Applaus i salen\n\n"
        "Intervjuer: Takk.\n\n"
        "Åse: Selv takk."
    )
    assert [(t.speaker, result.text[t.start:t.end], t.time_start, t.time_end)
            for t in result.turns] == [
        ("Intervjuer", "Hva mener du, ærlig talt, om planen?", "00:00:01.000", "00:00:03.500"),
        ("Åse", "Den er for dyr. Alt for dyr.", "00:00:03.600", "00:00:08.000"),
        (None, "Applaus i salen", "00:00:08.500", "00:00:09.000"),
        ("Intervjuer", "Takk.", "00:00:09.000", "00:00:10.000"),
        ("Åse", "Selv takk.", "00:00:09.000", "00:00:10.000"),
    ]
    assert result.reader == "srt"
    assert result.encoding == "iso-8859-1"


def test_vtt_without_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.vtt"
    path.write_text("00:01.000 --> 00:02.000\nHei\n", encoding="utf-8")
    expect_error_prefix(path, Msg.SUBTITLE_UNREADABLE.format(kind="WebVTT", error=""))


def test_srt_garbage(tmp_path: Path) -> None:
    path = tmp_path / "bad.srt"
    path.write_text("Dette er bare vanlig tekst, ikke teksting.\n", encoding="utf-8")
    expect_error_prefix(path, Msg.SUBTITLE_UNREADABLE.format(kind="SRT", error=""))


def test_pdf_sentence_over_a_page_break_stays_one_paragraph(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "brudd.pdf", [["Saksbehandlerne bruker mye tid på"],
                                             ["manuell registrering av søknader."],
                                             ["Ny side med ny setning."]])
    result = read_document(path)
    assert result.text == ("Saksbehandlerne bruker mye tid på\nmanuell registrering av "
                           "søknader.\n\nNy side med ny setning.")
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert [result.text[p.start:p.end] for p in result.pages][1] == (
        "manuell registrering av søknader.")
