"""Exporting codings: columns, code paths, evidence, and every file format."""

from __future__ import annotations

import pandas as pd
import pytest

from casekit.codebook import Codebook
from casekit.coding import code_case
from casekit.errors import UsageError
from casekit.export import COLUMNS, codings_frame, write_table
from casekit.ingest import ingest_case
from tests.conftest import REPO, row

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"


@pytest.fixture
def exported(make_case, store):
    files = {"a.txt": "Målstyringen er streng. Vi sparte 40 kroner.", "b.txt": "Ingenting."}
    ingest_case(make_case(files=files, rows=[row("a", "a.txt", tranche="municipality",
                                                 municipality="Havvik"),
                                             row("b", "b.txt")]), store, progress=False)
    code_case(store, "testcase", [Codebook.load(MINI)], progress=False)
    store.add_coding("testcase", "b", 0, 10, codebook_id="mini", code_id="NPG", coder="ola")
    return store


def test_frame_has_every_column_and_the_evidence(exported):
    frame = codings_frame(exported, "testcase")
    assert list(frame.columns) == COLUMNS
    npm = frame[frame["code_id"] == "NPM"].iloc[0]
    assert npm["code_path"] == "Ny offentlig styring"
    assert npm["rule"] == "lemma:målstyr*" and npm["matched"] == "Målstyringen"
    assert npm["text"] == "Målstyringen er streng."
    assert (npm["tranche"], npm["municipality"], npm["kind"]) == ("municipality", "Havvik",
                                                                  "policy")
    assert npm["codebook_version"] == "1.0" and len(npm["codebook_sha256"]) == 64
    value = frame[frame["code_id"] == "NPM.value"].iloc[0]
    assert value["code_path"] == "Ny offentlig styring > Verdi for pengene"
    assert value["top_code"] == "NPM"
    manual = frame[frame["origin"] == "manual"].iloc[0]
    assert (manual["coder"], manual["status"], manual["code_path"]) == ("ola", "accepted",
                                                                        "Nettverksstyring")


def test_english_code_names(exported):
    frame = codings_frame(exported, "testcase", language="en")
    assert "New Public Management > Value for money" in set(frame["code_path"])


def test_codebook_filter_and_empty_case(exported, make_case, store):
    assert codings_frame(exported, "testcase", codebook_id="other").empty
    assert list(codings_frame(exported, "testcase", codebook_id="other").columns) == COLUMNS


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_format_round_trips(exported, tmp_path, fmt):
    frame = codings_frame(exported, "testcase")
    path = write_table(frame, tmp_path / f"codings.{fmt}")
    back = {"csv": lambda p: pd.read_csv(p, encoding="utf-8-sig"), "xlsx": pd.read_excel,
            "parquet": pd.read_parquet}[fmt](path)
    assert list(back.columns) == COLUMNS and len(back) == len(frame)
    assert "Målstyringen er streng." in set(back["text"])


def test_csv_has_a_bom_for_excel(exported, tmp_path):
    path = write_table(codings_frame(exported, "testcase"), tmp_path / "c.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_bad_format_and_missing_folder(exported, tmp_path):
    frame = codings_frame(exported, "testcase")
    with pytest.raises(UsageError, match="unknown export format 'json'"):
        write_table(frame, tmp_path / "c.json")
    with pytest.raises(UsageError, match="does not exist"):
        write_table(frame, tmp_path / "nope" / "c.csv")
