"""Codebook loading and validation: the model, the hash, and every bad codebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from casekit.codebook import Codebook, CodebookError, check
from tests.conftest import REPO

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"
SHIPPED = sorted((REPO / "codebooks").glob("*.yaml"))


def test_load_the_fixture_codebook():
    cb = Codebook.load(MINI)
    assert (cb.id, cb.version, cb.languages, cb.unit) == ("mini", "1.0", ("nb", "nn", "en"),
                                                           "sentence")
    assert [c.id for c in cb.codes] == ["NPM", "NPM.goals", "NPM.value", "NPG"]
    assert cb["NPM.goals"].parent == "NPM"  # implied by the dotted id
    assert cb["NPM.goals"].unit == "sentence"  # inherited from the codebook
    assert cb["NPM.value"].unit == "paragraph"
    assert cb["NPG"].unit == "turn"
    assert cb["NPM"].name("en") == "New Public Management"
    assert cb["NPM.goals"].name("nn") == "Mål"  # nynorsk falls back to bokmål
    assert cb.path_names("NPM.goals") == "Ny offentlig styring > Mål"
    assert cb.top_level("NPM.value") == "NPM"
    assert cb.descendants("NPM") == ["NPM", "NPM.goals", "NPM.value"]
    kinds = {r.kind for c in cb.codes for r in c.rules}
    assert kinds == {"lemma", "surface", "phrase", "regex", "pattern"}
    assert all(r.veto for r in cb["NPG"].exclude)
    assert cb["NPM.goals"].rules[1].label == "phrase:nå målet~2"
    assert cb["NPM"].match[1].language == "en"
    assert cb["NPM"].colour == "#d95f02"


def test_hash_ignores_comments_and_layout_but_not_content(tmp_path):
    original = Codebook.load(MINI)
    reformatted = tmp_path / "a.yaml"
    reformatted.write_text("# a new comment\n" + MINI.read_text().replace(
        'version: "1.0"', "version: '1.0'   # same"), encoding="utf-8")
    assert Codebook.load(reformatted).sha256 == original.sha256
    changed = tmp_path / "b.yaml"
    changed.write_text(MINI.read_text().replace("resultatstyring,", "resultatstyring, kpi,"))
    assert Codebook.load(changed).sha256 != original.sha256


def test_from_text_matches_load():
    assert Codebook.from_text(MINI.read_text()).sha256 == Codebook.load(MINI).sha256


def test_tree_lists_every_code():
    tree = Codebook.load(MINI).tree("en")
    assert "mini 1.0" in tree
    assert "    NPM.goals  Goals  [sentence; 2 rules, 4 exclusions; 1+/1- examples]" in tree


BASE = """\
id: bad
title: Test
version: "1"
codes:
  - id: A
    name: A
    rules:
      lemma: [a]
"""


def _problems(tmp_path: Path, text: str) -> list:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    problems = check(path)
    assert problems, "expected problems"
    with pytest.raises(CodebookError) as info:
        Codebook.load(path)
    assert str(info.value).startswith(str(path))
    return problems


def test_valid_base(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(BASE)
    assert check(path) == []


@pytest.mark.parametrize(("text", "message", "line", "column"), [
    (BASE.replace("codes:", "codes: [unclosed"), "malformed YAML", 5, None),
    (BASE + "extra: 1\n", "unknown key 'extra'", 9, 8),
    (BASE.replace("    name: A", "    name: A\n    colur: red"), "unknown key 'colur' in code "
     "'A'", 7, 12),
    (BASE + "  - id: A\n    name: again\n", "duplicate code id 'A' (first on line 5)", 9, 5),
    (BASE + "  - id: B\n    parent: Z\n    name: B\n", "code 'B': unknown parent 'Z'", 10, 13),
    (BASE + "  - id: Q.r\n    name: R\n", "code 'Q.r': unknown parent 'Q'", 9, 9),
    (BASE.replace("lemma: [a]", "regex: ['(unclosed']"), "invalid regular expression "
     "'(unclosed'", 8, 15),
    (BASE.replace("lemma: [a]", "regex: ['x*']"), "matches empty text", 8, 15),
    (BASE.replace("lemma: [a]", "pattern: [[{LEMMAX: a}]]"), "invalid token pattern", 8, 17),
    (BASE.replace("lemma: [a]", "pattern: [[{POS: NOUN}]]"), "POS need a trained pipeline",
     8, 17),
    (BASE.replace("lemma: [a]", "pattern: [tillit]"), "a token pattern is a non-empty list",
     8, 17),
    (BASE.replace("lemma: [a]", "lemma: ['']"), "empty rule", 8, 15),
    (BASE.replace("lemma: [a]", "lemma: []"), "'lemma' must be a non-empty list", 8, 14),
    (BASE.replace("lemma: [a]", "lemma: ['*']"), "only wildcards", 8, 15),
    (BASE.replace("lemma: [a]", "lemma: [to ord]"), "has a space; use a phrase", 8, 15),
    (BASE.replace("lemma: [a]", "phrase: [alene]"), "a phrase needs at least two words", 8, 16),
    (BASE.replace("lemma: [a]", "phrase: [{text: a b, gap: 99}]"), "gap must be a whole number",
     8, 16),
    (BASE.replace("lemma: [a]", "wordlist: [a]"), "unknown rule kind 'wordlist'", 8, 17),
    (BASE.replace("    name: A", "    name: A\n    colour: blurple"), "'blurple' is not a "
     "colour", 7, 13),
    (BASE.replace("    name: A", "    name: A\n    unit: page"), "unit 'page' must be one of",
     7, 11),
    (BASE.replace("    name: A", "    name: A\n    examples: {match: [{text: x, language: "
                  "xx}]}"), "unknown language 'xx'", 7, 24),
    (BASE.replace("id: bad", "id: bad one"), "must be letters, digits", 1, 5),
    (BASE.replace("    name: A\n", ""), "name: is required", 5, 5),
])
def test_bad_codebook_names_file_line_column_and_problem(tmp_path, text, message, line,
                                                        column):
    problems = _problems(tmp_path, text)
    matching = [p for p in problems if message in p.problem]
    assert matching, [str(p) for p in problems]
    assert matching[0].path.endswith("bad.yaml")
    assert matching[0].line == line
    if column is not None:
        assert matching[0].column == column


def test_parent_cycle_is_reported(tmp_path):
    text = BASE + "  - id: B\n    parent: C\n    name: B\n  - id: C\n    parent: B\n    name: C\n"
    problems = _problems(tmp_path, text)
    assert any("parent cycle B -> C -> B" in p.problem for p in problems)


def test_parent_must_match_dotted_id(tmp_path):
    text = BASE + "  - id: B\n    name: B\n  - id: A.x\n    parent: B\n    name: X\n"
    assert any("does not match its dotted id" in p.problem for p in _problems(tmp_path, text))


def test_every_problem_is_reported_at_once(tmp_path):
    text = BASE.replace("lemma: [a]", "lemma: ['']\n      regex: ['(']") + "oops: 1\n"
    assert len(_problems(tmp_path, text)) == 3


def test_missing_file_and_not_a_mapping(tmp_path):
    assert "does not exist" in check(tmp_path / "none.yaml")[0].problem
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    assert "must be a mapping" in check(tmp_path / "list.yaml")[0].problem


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_codebooks_are_valid_and_documented(path):
    cb = Codebook.load(path)
    assert set(cb.languages) >= {"nb", "en"}
    for code in cb.codes:
        assert {"nb", "en"} <= set(code.names), code.id
        for field in ("definition", "when_to_use", "when_not_to_use"):
            assert {"nb", "en"} <= set(getattr(code, field)), (code.id, field)
        assert code.colour, code.id
        assert len(code.match) >= 3 and len(code.no_match) >= 2, code.id
        assert code.rules or cb.children(code.id), code.id


def test_governance_logics_has_the_four_logics():
    path = REPO / "codebooks" / "governance_logics.yaml"
    if not path.exists():
        pytest.skip("governance_logics.yaml is being written")
    cb = Codebook.load(path)
    top = [c.id for c in cb.children(None)]
    assert top == ["TPA", "NPM", "NPG", "SAMSKAPING"]
    for logic in top:
        assert len(cb.children(logic)) >= 4, logic


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_codebook_examples_all_pass(path):
    from casekit.coder import run_examples

    run, failures = run_examples(Codebook.load(path))
    assert run >= 100
    assert not failures, "\n".join(str(f) for f in failures[:10])
