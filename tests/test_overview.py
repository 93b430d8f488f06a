"""Material overview: exact counts on a small case, empty tranches, bad attributes."""

from __future__ import annotations

import pytest

from casekit import overview
from casekit.errors import StoreError
from casekit.ingest import ingest_case
from tests.conftest import row


@pytest.fixture
def ingested(make_case, store):
    files = {"a.txt": "En to tre.", "b.txt": "Fire fem.", "c.txt": "Seks."}
    rows = [row("a", "a.txt", kind="memo", actor_role="network"),
            row("b", "b.txt", kind="policy", actor_role="network"),
            row("c", "c.txt", kind="memo", tranche="municipality", municipality="Havvik",
                actor_role="politician")]
    ingest_case(make_case(files=files, rows=rows), store, progress=False)
    return store


def test_material_by_tranche_in_case_order_with_empty_tranche(ingested):
    table = overview.material(ingested, "testcase")
    assert list(table["tranche"]) == ["network", "interplay", "municipality"]
    assert list(table["documents"]) == [2, 0, 1]
    assert list(table["words"]) == [5, 0, 1]
    assert table["share_of_words"].round(4).tolist() == [0.8333, 0.0, 0.1667]


def test_material_by_two_attributes_drops_empty_combinations(ingested):
    table = overview.material(ingested, "testcase", by=["tranche", "kind"])
    assert [tuple(r) for r in table[["tranche", "kind", "documents", "words"]].itertuples(
        index=False)] == [("network", "memo", 1, 3), ("network", "policy", 1, 2),
                          ("municipality", "memo", 1, 1)]


def test_material_by_actor_role(ingested):
    table = overview.material(ingested, "testcase", by=["actor_role"]).set_index("actor_role")
    assert table.loc["network", "words"] == 5 and table.loc["politician", "documents"] == 1


def test_unknown_attribute_and_unknown_case(ingested):
    with pytest.raises(KeyError, match="unknown document attribute"):
        overview.material(ingested, "testcase", by=["colour"])
    with pytest.raises(StoreError, match="not in the store"):
        overview.material(ingested, "other")


def test_speakers_without_interviews_is_empty_with_columns(ingested):
    table = overview.speakers(ingested, "testcase")
    assert table.empty
    assert list(table.columns) == ["doc_id", "speaker", "speaker_role", "turns", "words"]


def test_speakers_of_an_interview(make_case, store):
    ingest_case(make_case(), store, progress=False)
    table = overview.speakers(store, "testcase").set_index("speaker")
    assert table.loc["Forsker", "turns"] == 2 and table.loc["Forsker", "speaker_role"] == (
        "interviewer")
    assert table.loc["Kari Nilsen", "words"] == 24
