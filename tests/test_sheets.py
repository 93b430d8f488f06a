"""The spreadsheet round trip: export a coding sheet, fill it in, import it back."""

from __future__ import annotations

import pandas as pd
import pytest

from casekit.cli import main
from casekit.errors import InputError, UsageError
from casekit.ingest import ingest_case
from casekit.sheets import COLUMNS, SheetError, export_sheet, import_sheet, read_sheet
from tests.test_project import INTERVIEW, build_coded_store, proposal

# Sheet rows (row 1 is the header): int ¶1..¶5 on rows 2-6, plan ¶1..¶2 on rows 7-8.
PROPOSALS = ["", "", "NPM.goals [proposed]; NPG [proposed]", "", "NPM [proposed]",
             "NPM [proposed]", "NPM.value [proposed]"]


@pytest.fixture
def coded(make_case, store):
    return build_coded_store(make_case, store)


@pytest.fixture
def sheet(coded, tmp_path):
    """Return a function that exports kari's sheet, lets a test fill it, and saves it."""
    def make(fill=None, suffix="csv", coder="kari", **kwargs):
        path = tmp_path / f"kari.{suffix}"
        export_sheet(coded, "testcase", path, coder=coder, **kwargs)
        if fill is not None:
            frame = read_sheet(path)
            fill(frame)
            write(frame, path)
        return path
    return make


def write(frame: pd.DataFrame, path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        frame.to_excel(path, index=False, sheet_name="segments")


def cell(frame: pd.DataFrame, sheet_row: int, column: str, value: str) -> None:
    frame.loc[sheet_row - 2, column] = value


def problems(coded, path, coder="kari") -> list[str]:
    before = (len(coded.document_codings("testcase")), len(coded.history()))
    with pytest.raises(SheetError) as info:
        import_sheet(coded, path, coder=coder)
    assert (len(coded.document_codings("testcase")), len(coded.history())) == before
    assert "nothing was imported" in str(info.value)
    return info.value.problems


# -- export -----------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_writes_one_row_a_segment(sheet, suffix):
    frame = read_sheet(sheet(suffix=suffix))
    assert list(frame.columns) == COLUMNS
    assert list(frame["doc_id"]) == ["int"] * 5 + ["plan"] * 2
    assert list(frame["seq"]) == ["1", "2", "3", "4", "5", "1", "2"]
    assert list(frame["proposals"]) == PROPOSALS
    assert frame.loc[2, "text"] == "Målene settes hvert år. Vi samarbeider med nabokommunene."
    assert list(frame["speaker"]) == ["", "Forsker", "Kari", "Forsker", "Kari", "", ""]
    assert set(frame["coder"]) == {"kari"} and set(frame["codebook_id"]) == {"mini"}
    assert set(frame["tranche"]) == {"network", "municipality"}
    for column in ("accept", "reject", "codes", "memo"):
        assert set(frame[column]) == {""}


def test_xlsx_lists_the_codes(sheet):
    codes = pd.read_excel(sheet(suffix="xlsx"), sheet_name="codes", dtype=str)
    assert list(codes["code_id"]) == ["NPM", "NPM.goals", "NPM.value", "NPG"]
    assert codes.loc[1, "name"] == "Ny offentlig styring > Mål"


def test_export_shows_decisions_and_sentence_units(coded, sheet):
    coded.decide_coding(proposal(coded, "plan", "NPM"), "rejected", coder="ola")
    frame = read_sheet(sheet(unit="sentence"))
    assert len(frame) == 9 and set(frame["unit"]) == {"sentence"}
    assert frame.loc[7, "proposals"] == "NPM [rejected by ola]"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"path": "x.txt"}, "a sheet is .xlsx or .csv"),
    ({"path": "missing/x.csv"}, "the folder for the sheet does not exist"),
    ({"unit": "page"}, "unknown unit 'page'"),
    ({"coder": "auto"}, "casekit's own name"),
    ({"codebook": "gl"}, "'gl' is neither a codebook file"),
])
def test_bad_exports(coded, tmp_path, kwargs, message):
    args = {"path": "kari.csv", "coder": "kari", **kwargs}
    args["path"] = tmp_path / args["path"]
    with pytest.raises(UsageError, match=message):
        export_sheet(coded, "testcase", **args)


# -- import -----------------------------------------------------------------------------

def fill_work(frame: pd.DataFrame) -> None:
    cell(frame, 4, "accept", "NPM.goals")
    cell(frame, 4, "reject", "NPG")
    cell(frame, 6, "codes", "NPG; NPM.value")
    cell(frame, 8, "memo", "Tallfestet gevinst.")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_round_trip_applies_every_row_and_is_idempotent(coded, sheet, suffix):
    path = sheet(fill_work, suffix=suffix)
    report = import_sheet(coded, path, coder="kari")
    assert report.rows == 7 and report.unchanged == 0
    assert report.counts == {"code": 2, "accept": 1, "reject": 1, "memo": 1}
    assert coded.coding(proposal(coded, "int", "NPM.goals"))["status"] == "accepted"
    assert coded.coding(proposal(coded, "int", "NPG"))["decided_by"] == "kari"
    manual = coded.document_codings("testcase")
    manual = manual[manual["origin"] == "manual"]
    assert sorted(zip(manual["code_id"], manual["start"], manual["end"], manual["coder"],
                      strict=True)) == [("NPG", 161, 224, "kari"), ("NPM.value", 161, 224, "kari")]
    memo = coded.memos("testcase").iloc[0]
    assert memo[["doc_id", "start", "end", "text", "title"]].tolist() == [
        "plan", 23, 57, "Tallfestet gevinst.", "segment 2 (paragraph)"]
    assert set(coded.history("testcase")["source"]) == {f"sheet:kari.{suffix}"}
    again = import_sheet(coded, path, coder="kari")
    assert again.counts == {"code": 0, "accept": 0, "reject": 0, "memo": 0}
    assert again.unchanged == 5 and len(coded.history("testcase")) == 5


def test_excel_csv_with_semicolons_in_windows_1252(coded, sheet, tmp_path):
    frame = read_sheet(sheet())
    cell(frame, 7, "accept", "NPM")
    path = tmp_path / "excel.csv"
    frame.to_csv(path, index=False, sep=";", encoding="cp1252")
    assert import_sheet(coded, path, coder="kari").counts["accept"] == 1
    assert coded.coding(proposal(coded, "plan", "NPM"))["status"] == "accepted"


def test_every_bad_row_is_named_and_nothing_is_applied(coded, sheet):
    def fill(frame):
        fill_work(frame)  # valid rows: must not be applied either
        cell(frame, 2, "codes", "NPX")
        cell(frame, 3, "accept", "NPM")
        cell(frame, 5, "text", "Og resultatene? Ja.")
        cell(frame, 7, "accept", "NPM.valu")
    assert problems(coded, sheet(fill)) == [
        "row 2: unknown code 'NPX' in column codes (codebook mini)",
        "row 3: no auto proposal of 'NPM' on this segment to accept",
        "row 5: the text of segment 8 differs from the store (edited in the sheet, or the "
        "document changed since the export)",
        "row 7: unknown code 'NPM.valu' in column accept (codebook mini)"]


@pytest.mark.parametrize(("fill", "expected"), [
    (lambda f: cell(f, 4, "segment_id", "999"),
     ["row 4: segment 999 is no longer in the store (the document was segmented again since "
      "the export; export a new sheet)"]),
    (lambda f: cell(f, 4, "segment_id", "sju"), ["row 4: segment_id 'sju' is not a number"]),
    (lambda f: cell(f, 4, "doc_id", "plan"),
     ["row 4: segment 7 belongs to document 'int', not 'plan'"]),
    (lambda f: cell(f, 4, "start", "71"), ["row 4: segment 7 is now at 70..127, not 71..127"]),
    (lambda f: cell(f, 4, "codebook_id", "gl"), ["row 4: codebook 'gl' is not in the store"]),
    (lambda f: cell(f, 4, "case_id", "other"),
     ["row 4: case 'other' differs from the sheet's case 'testcase'"]),
    (lambda f: cell(f, 4, "coder", "ola"),
     ["row 4: the row was exported for coder 'ola', not 'kari'"]),
    (lambda f: (cell(f, 4, "accept", "NPG"), cell(f, 4, "reject", "NPG; NPM.goals")),
     ["row 4: code 'NPG' is both accepted and rejected"]),
])
def test_bad_rows(coded, sheet, fill, expected):
    assert problems(coded, sheet(fill)) == expected


def test_duplicated_row(coded, sheet, tmp_path):
    frame = read_sheet(sheet())
    doubled = pd.concat([frame, frame.iloc[[2]]], ignore_index=True)
    path = tmp_path / "doubled.csv"
    write(doubled, path)
    assert problems(coded, path) == ["row 9: segment 7 appears again (first on row 4)"]


def test_sheet_of_another_coder(coded, sheet):
    found = problems(coded, sheet(fill_work), coder="ola")
    assert len(found) == 7
    assert found[0] == "row 2: the row was exported for coder 'kari', not 'ola'"


def test_conflicting_decisions_on_one_proposal(coded, sheet):
    # With sentences as units, the NPG turn proposal overlaps sentence rows 4 and 5.
    def fill(frame):
        cell(frame, 4, "accept", "NPG")
        cell(frame, 5, "reject", "NPG")
    npg = proposal(coded, "int", "NPG")
    assert problems(coded, sheet(fill, unit="sentence")) == [
        f"row 5: proposal {npg} (NPG) is accepted on row 4 and rejected here"]


def test_the_same_decision_on_two_rows_is_applied_once(coded, sheet):
    def fill(frame):
        cell(frame, 4, "accept", "NPG")
        cell(frame, 5, "accept", "NPG")
    report = import_sheet(coded, sheet(fill, unit="sentence"), coder="kari")
    assert report.counts["accept"] == 1 and len(coded.history()) == 1


def test_segments_changed_by_a_new_ingest(coded, sheet):
    path = sheet(fill_work)
    (coded.folder / "intervju.txt").write_text(
        INTERVIEW.replace("Og resultatene?", "Og hva med resultatene?"), encoding="utf-8")
    ingest_case(coded.folder, coded, progress=False)
    found = problems(coded, path)
    assert len(found) == 5  # the interview's rows; the plan was not segmented again
    assert all("is no longer in the store" in p for p in found)


@pytest.mark.parametrize(("content", "error", "message"), [
    (None, UsageError, "no such file"),
    ("doc_id,text\nint,x\n", InputError, "missing column\\(s\\): coder, case_id"),
    (",".join(COLUMNS) + "\n", InputError, "the sheet has no rows"),
])
def test_unreadable_sheets(coded, tmp_path, content, error, message):
    path = tmp_path / "s.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(error, match=message):
        import_sheet(coded, path, coder="kari")


def test_a_sheet_with_another_extension(coded, tmp_path):
    path = tmp_path / "s.ods"
    path.write_bytes(b"x")
    with pytest.raises(UsageError, match="a sheet is .xlsx or .csv, not '.ods'"):
        import_sheet(coded, path, coder="kari")


def test_a_damaged_xlsx(coded, tmp_path):
    path = tmp_path / "s.xlsx"
    path.write_bytes(b"PK not really a workbook")
    with pytest.raises(InputError, match="cannot be read as a sheet"):
        import_sheet(coded, path, coder="kari")


# -- command line -----------------------------------------------------------------------

def test_cli_export_and_import(coded, tmp_path, capsys):
    out = tmp_path / "kari.xlsx"
    store = str(coded.path)
    assert main(["sheet", "export", "testcase", "--coder", "kari", "--out", str(out),
                 "--store", store]) == 0
    assert capsys.readouterr().out == f"{out}: 7 segments for kari\n"
    frame = read_sheet(out)
    fill_work(frame)
    write(frame, out)
    assert main(["sheet", "import", str(out), "--coder", "kari", "--store", store]) == 0
    assert capsys.readouterr().out == (
        f"{out}: 7 rows; 2 codings added, 1 accepted, 1 rejected, 1 memos; 0 already in "
        "the store\n")


def test_cli_import_problems_exit_1(coded, sheet, capsys):
    path = sheet(fill_work)
    assert main(["sheet", "import", str(path), "--coder", "ola", "--store",
                 str(coded.path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{path}: 7 problem(s); nothing was imported"
    assert err[1] == "  row 2: the row was exported for coder 'kari', not 'ola'"


@pytest.mark.parametrize("argv", [
    ["sheet", "export", "nope", "--coder", "kari", "--out", "{tmp}/x.csv"],
    ["sheet", "export", "testcase", "--coder", "kari", "--out", "{tmp}/x.pdf"],
    ["sheet", "export", "testcase", "--coder", "auto", "--out", "{tmp}/x.csv"],
    ["sheet", "import", "{tmp}/missing.csv", "--coder", "kari"],
    ["sheet", "import", "{tmp}/missing.csv"],
])
def test_cli_usage_errors_exit_2(coded, tmp_path, argv, capsys):
    argv = [a.format(tmp=tmp_path) for a in argv] + ["--store", str(coded.path)]
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(argv))
    assert info.value.code == 2
