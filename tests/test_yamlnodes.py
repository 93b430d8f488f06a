"""The fast YAML path: libyaml under YAML 1.2's core schema, and ruamel where they differ."""

from __future__ import annotations

import pytest
import yaml
from ruamel.yaml import YAML

from casekit import codebook as codebook_module
from casekit.codebook import Codebook, check
from casekit.yamlnodes import NeedsFullParse, load_core, plain
from tests.conftest import REPO

SHIPPED = sorted((REPO / "codebooks").glob("*.yaml"))


@pytest.mark.parametrize(("text", "expected"), [
    ("a: 12", {"a": 12}),
    ("a: -3", {"a": -3}),
    ("a: 1.2", {"a": 1.2}),
    ("a: true\nb: False", {"a": True, "b": False}),
    ("a: ~\nb: null\nc:", {"a": None, "b": None, "c": None}),
    ("nb: bokmål\nnn: nynorsk", {"nb": "bokmål", "nn": "nynorsk"}),
    ("a: v1.2", {"a": "v1.2"}),
    ("a: [samskap*, '*indikator*']", {"a": ["samskap*", "*indikator*"]}),
    ("a: '#1b9e77'", {"a": "#1b9e77"}),
])
def test_core_schema_reads_like_ruamel(text, expected):
    assert load_core(text) == expected
    assert plain(YAML(typ="rt").load(text)) == expected


@pytest.mark.parametrize("text", [
    "no: norsk",  # YAML 1.1 reads the language code 'no' as false
    "a: yes",
    "a: off",
    "a: 1.10",  # ruamel keeps the trailing zero's float apart
    "a: 012",  # octal in YAML 1.1, decimal in 1.2
    "a: 0x1F",
    "a: 1e3",
    "a: .5",
    "a: 2026-11-23",  # a date
    "a: 1:20",  # sexagesimal in YAML 1.1
    "a: 1\na: 2",  # a duplicate key, which ruamel reports
    "base: &b {x: 1}\nc:\n  <<: *b",
])
def test_forms_the_yaml_versions_read_differently_need_the_full_parser(text):
    with pytest.raises(NeedsFullParse):
        load_core(text)


def test_malformed_yaml_raises_a_yaml_error():
    with pytest.raises(yaml.YAMLError):
        load_core("a: [unclosed")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_codebooks_parse_the_same_on_both_paths(path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    fast, problems = codebook_module._parse(path, text)
    assert problems == []

    def full_parser_only(text):
        raise NeedsFullParse("forced")

    monkeypatch.setattr(codebook_module, "load_core", full_parser_only)
    full, problems = codebook_module._parse(path, text)
    assert problems == []
    assert fast == full
    assert fast.sha256 == full.sha256


BAD = ("id: bad\ntitle: T\nversion: '1'\ncodes:\n  - id: A\n    name: A\n"
       "    colour: blurple\n    rules:\n      lemma: [a, '']\n      regex: ['(x']\n"
       "  - id: A\n    name: again\n    parent: Z\n    colur: red\n")


def test_problems_get_the_same_lines_and_columns_on_both_paths(tmp_path, monkeypatch):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    fast = [(p.problem, p.line, p.column) for p in check(path)]
    assert [(line, column) for problem, line, column in fast] == [
        (7, 13), (9, 18), (10, 15), (14, 12), (11, 5)]
    assert "'blurple' is not a colour" in fast[0][0]
    assert "duplicate code id 'A' (first on line 5)" in fast[4][0]

    def full_parser_only(text):
        raise NeedsFullParse("forced")

    monkeypatch.setattr(codebook_module, "load_core", full_parser_only)
    assert [(p.problem, p.line, p.column) for p in check(path)] == fast


def test_a_codebook_with_a_norwegian_language_key_keeps_it(tmp_path):
    path = tmp_path / "no.yaml"
    path.write_text("id: nor\ntitle: {no: Tittel}\nversion: '1'\ncodes:\n  - id: A\n"
                    "    name: A\n    rules:\n      lemma: [a]\n", encoding="utf-8")
    loaded = Codebook.load(path)
    assert loaded.title == {"nb": "Tittel"}  # 'no' is Norwegian (bokmål), never false
