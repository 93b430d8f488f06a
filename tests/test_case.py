"""case.yaml and manifest.csv: loading, validation and the wording of every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from casekit.case import load_case, load_manifest, parse_date, unlisted_files
from casekit.errors import CaseError, ManifestError
from tests.conftest import CASE_YAML, COLUMNS, row, write_manifest


def test_load_case_reads_every_field(make_case):
    case = load_case(make_case())
    assert case.id == "testcase"
    assert case.language == "nb"
    assert case.tranche_ids == ("network", "interplay", "municipality")
    assert case.tranches[1].label == "Samspill"
    assert case.municipalities == ("Havvik", "Bjørkeli")
    assert len(case.yaml_sha256) == 64
    assert case.config["title"] == "Testcase"


def _yaml_error(make_case, text: str) -> CaseError:
    folder = make_case(case_yaml=text)
    with pytest.raises(CaseError) as info:
        load_case(folder)
    return info.value


def test_case_yaml_syntax_error_names_file_and_line(make_case):
    err = _yaml_error(make_case, "id: testcase\ntitle: [unclosed\nlanguage: nb\n")
    assert err.path.endswith("case.yaml")
    assert err.line is not None and err.line >= 2
    assert "not valid YAML" in str(err)


def test_unknown_key_is_reported_with_its_line(make_case):
    err = _yaml_error(make_case, CASE_YAML.format(case_id="testcase") + "tranchs: []\n")
    assert "unknown key 'tranchs'" in str(err)
    assert err.line == CASE_YAML.count("\n") + 1


def test_missing_key(make_case):
    text = CASE_YAML.format(case_id="testcase").replace("language: nb\n", "")
    assert "required key 'language' is missing" in str(_yaml_error(make_case, text))


def test_case_id_must_match_folder(make_case):
    err = _yaml_error(make_case, CASE_YAML.format(case_id="another"))
    assert "does not match the folder name 'testcase'" in str(err)
    assert err.line == 1


def test_duplicate_tranche(make_case):
    text = CASE_YAML.format(case_id="testcase").replace("id: interplay", "id: network")
    err = _yaml_error(make_case, text)
    assert "tranche id 'network' appears more than once" in str(err)
    assert err.line == 8


def test_tranche_without_label(make_case):
    text = CASE_YAML.format(case_id="testcase").replace("    label: Samspill\n", "")
    assert "tranche entry 2 must have an 'id' and a 'label'" in str(_yaml_error(make_case, text))


def test_unknown_language(make_case):
    text = CASE_YAML.format(case_id="testcase").replace("language: nb", "language: klingon")
    assert "unknown language 'klingon'" in str(_yaml_error(make_case, text))


def test_case_folder_and_yaml_missing(tmp_path):
    with pytest.raises(CaseError, match="case folder does not exist"):
        load_case(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaseError, match="no case.yaml"):
        load_case(tmp_path / "empty")


def test_case_yaml_not_a_mapping(make_case):
    assert "must be a mapping" in str(_yaml_error(make_case, "- just\n- a list\n"))


# -- manifest ------------------------------------------------------------------------------

def _manifest_errors(make_case, rows, files=None) -> list[ManifestError]:
    folder = make_case(files=files if files is not None else {"a.txt": "Tekst.",
                                                              "b.txt": "Mer tekst."},
                       rows=rows)
    specs, errors = load_manifest(load_case(folder))
    return errors


def test_valid_manifest_gives_specs_with_attributes(make_case):
    folder = make_case(files={"sub/a.txt": "Tekst."},
                       rows=[row("a", "sub\\a.txt", kind="Interview", municipality="havvik",
                                 date="03.05.2025", language="bokmål", title="",
                                 informant="Kari", position="leder")])
    specs, errors = load_manifest(load_case(folder))
    assert errors == []
    (spec,) = specs
    assert spec.file == "sub/a.txt"  # Windows separators are accepted
    assert spec.kind == "interview"
    assert spec.municipality == "Havvik"  # normalised to case.yaml's spelling
    assert spec.date == "2025-05-03"
    assert spec.language == "nb"
    assert spec.title == "a"  # empty title falls back to the file name
    assert spec.attributes == {"informant": "Kari", "position": "leder"}
    assert spec.line == 2


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tranche", "nettverk", "unknown tranche 'nettverk' (case.yaml defines: network, "
                            "interplay, municipality)"),
    ("kind", "letter", "unknown kind 'letter'"),
    ("actor_role", "mayor", "unknown actor_role 'mayor'"),
    ("date", "2025-02-30", "bad date '2025-02-30'"),
    ("date", "i fjor", "bad date 'i fjor'"),
    ("language", "xx", "unknown language 'xx'"),
    ("municipality", "Oslo", "unknown municipality 'Oslo'"),
    ("doc_id", "has space", "doc_id 'has space' must be"),
    ("doc_id", "", "'doc_id' is empty"),
    ("file", "", "'file' is empty"),
    ("file", "missing.txt", "file 'missing.txt' does not exist"),
    ("file", "../outside.txt", "file '../outside.txt' points outside the case folder"),
    ("file", "sub/../../outside.txt", "points outside the case folder"),
    ("file", "/etc/passwd", "file '/etc/passwd' is an absolute path"),
    ("file", "C:\\data\\a.txt", "is an absolute path"),
    ("file", "case.yaml", "is a casekit control file"),
])
def test_bad_row_is_reported_with_file_line_and_problem(make_case, field, value, message):
    bad = row("b", "b.txt")
    bad[field] = value
    errors = _manifest_errors(make_case, [row("a", "a.txt"), bad])
    assert len(errors) == 1
    err = errors[0]
    assert err.path.endswith("manifest.csv")
    assert err.line == 3
    assert message in str(err)
    assert str(err).startswith(f"{err.path}:3: ")


def test_bad_row_does_not_stop_the_others(make_case):
    folder = make_case(files={"a.txt": "x", "b.txt": "y"},
                       rows=[row("a", "a.txt", tranche="bad"), row("b", "b.txt")])
    specs, errors = load_manifest(load_case(folder))
    assert [s.doc_id for s in specs] == ["b"]
    assert len(errors) == 1


def test_every_problem_in_a_row_is_reported(make_case):
    errors = _manifest_errors(make_case, [row("a", "nope.txt", kind="x", tranche="y")])
    text = " | ".join(str(e) for e in errors)
    assert len(errors) == 3
    assert "unknown kind" in text and "unknown tranche" in text and "does not exist" in text


def test_duplicate_doc_id_names_the_first_line(make_case):
    errors = _manifest_errors(make_case, [row("a", "a.txt"), row("a", "b.txt")])
    assert len(errors) == 1
    assert "duplicate doc_id 'a' (first used on line 2)" in str(errors[0])
    assert errors[0].line == 3


def test_outside_file_is_refused_even_when_it_exists(make_case, tmp_path):
    (tmp_path / "corpora" / "secret.txt").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "corpora" / "secret.txt").write_text("x")
    errors = _manifest_errors(make_case, [row("a", "../secret.txt")])
    assert "points outside the case folder" in str(errors[0])


def test_symlink_pointing_outside_is_refused(make_case, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("hemmelig")
    folder = make_case(files={"a.txt": "x"}, rows=[row("a", "a.txt")])
    (folder / "link.txt").symlink_to(outside)
    write_manifest(folder, [row("a", "link.txt")])
    _, errors = load_manifest(load_case(folder))
    assert "points outside the case folder" in str(errors[0])


def test_missing_columns(make_case):
    folder = make_case(files={"a.txt": "x"}, rows=[])
    write_manifest(folder, [{"doc_id": "a", "file": "a.txt"}], columns=["doc_id", "file"])
    with pytest.raises(ManifestError) as info:
        load_manifest(load_case(folder))
    assert "required column(s) missing: kind, tranche" in str(info.value)
    assert info.value.line == 1


def test_empty_and_missing_manifest(make_case):
    folder = make_case(files={}, rows=[])
    with pytest.raises(ManifestError, match="lists no documents"):
        load_manifest(load_case(folder))
    (folder / "manifest.csv").write_text("")
    with pytest.raises(ManifestError, match="lists no documents"):
        load_manifest(load_case(folder))
    (folder / "manifest.csv").unlink()
    with pytest.raises(ManifestError, match="no manifest.csv"):
        load_manifest(load_case(folder))


def test_duplicate_column(make_case):
    folder = make_case(files={"a.txt": "x"}, rows=[])
    (folder / "manifest.csv").write_text(",".join(COLUMNS + ["title"]) + "\n")
    with pytest.raises(ManifestError, match="column 'title' appears more than once"):
        load_manifest(load_case(folder))


def test_row_with_wrong_field_count(make_case):
    folder = make_case(files={"a.txt": "x"}, rows=[])
    (folder / "manifest.csv").write_text(
        ",".join(COLUMNS) + "\na,a.txt,policy,network,,,2025,nb\n")
    _, errors = load_manifest(load_case(folder))
    assert "row has 8 fields, the header has 9" in str(errors[0])


def test_excel_semicolon_windows_1252_manifest(make_case):
    folder = make_case(files={"ø.txt": "Tekst."}, rows=[])
    write_manifest(folder, [row("a", "ø.txt", municipality="Bjørkeli", title="Møte i rådet")],
                   delimiter=";", encoding="cp1252")
    specs, errors = load_manifest(load_case(folder))
    assert errors == []
    assert specs[0].title == "Møte i rådet"
    assert specs[0].municipality == "Bjørkeli"


def test_manifest_with_bom_and_crlf(make_case):
    folder = make_case(files={"a.txt": "x"}, rows=[])
    text = ",".join(COLUMNS) + "\r\na,a.txt,memo,network,,,2025-01,,Notat\r\n"
    (folder / "manifest.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    specs, errors = load_manifest(load_case(folder))
    assert errors == [] and specs[0].date == "2025-01" and specs[0].language == "nb"


def test_multiline_quoted_field_keeps_line_numbers(make_case):
    folder = make_case(files={"a.txt": "x", "b.txt": "y"}, rows=[])
    text = (",".join(COLUMNS) + "\n" + 'a,a.txt,memo,network,,,,,"Tittel over\nto linjer"\n'
            + "b,b.txt,memo,nowhere,,,,,B\n")
    (folder / "manifest.csv").write_text(text)
    _, errors = load_manifest(load_case(folder))
    assert errors[0].line == 4


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-05-03", "2025-05-03"), ("03.05.2025", "2025-05-03"), ("2025-05", "2025-05"),
    ("2025", "2025"), ("2025-13-01", None), ("05/03/2025", None), ("1850", None)])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_unlisted_files_are_noticed(make_case):
    folder = make_case(files={"a.txt": "x", "glemt.docx": b"x", ".DS_Store": b"x",
                              "README.md": "om saken"}, rows=[row("a", "a.txt")])
    case = load_case(folder)
    specs, _ = load_manifest(case)
    assert unlisted_files(case, specs) == ["glemt.docx"]


def test_loading_never_writes_to_the_case(make_case):
    folder = make_case()
    before = {p: p.stat().st_mtime_ns for p in Path(folder).rglob("*")}
    load_manifest(load_case(folder))
    assert {p: p.stat().st_mtime_ns for p in Path(folder).rglob("*")} == before
