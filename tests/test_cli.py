"""The casekit command: exit codes, help, output, and ``python -m casekit``."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from casekit.cli import build_parser, main
from tests.conftest import row, write_manifest


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "ingest" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0


HELP = [["ingest"], ["status"], ["validate"], ["codebook"], ["codebook", "check"],
        ["codebook", "show"], ["codebook", "test"], ["code"], ["export"],
        ["export", "codings"], ["sheet"], ["sheet", "export"], ["sheet", "import"], ["agree"],
        ["import"], ["import", "codings"], ["report"], ["batch"]]


@pytest.mark.parametrize("command", HELP, ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: casekit {' '.join(command)}" in out and len(out.splitlines()) > 3


def test_every_subcommand_is_covered_by_the_help_test():
    def names(parser, prefix=()):
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append([*prefix, name])
                    found += names(sub, (*prefix, name))
        return found

    assert sorted(names(build_parser())) == sorted(HELP)


@pytest.mark.parametrize("argv", [["codebook"], ["export"]])
def test_command_group_without_action_shows_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["ingest", "--bogus"], ["ingest"],
                                  ["status", "extra"]])
def test_usage_errors_exit_2(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        code = main(argv)
        raise SystemExit(code)
    assert info.value.code == 2


def test_ingest_missing_case_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "nope"), "--store", str(tmp_path / "s.db")]) == 2
    assert "no such case folder" in capsys.readouterr().err


def test_ingest_ok_then_status(make_case, tmp_path, capsys):
    folder = make_case()
    store = str(tmp_path / "s.db")
    assert main(["ingest", str(folder), "--store", store, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "testcase: 2 documents (2 added), 0 failed" in out
    assert "in store: 2 documents, 4 turns" in out
    assert main(["ingest", str(folder), "--store", store, "--quiet"]) == 0
    assert "(2 unchanged)" in capsys.readouterr().out
    assert main(["status", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "testcase: Testcase (2 documents" in out
    for header in ("tranche", "documents", "turns", "paragraphs", "sentences", "words"):
        assert header in out
    assert "municipality" in out and "total" in out


def test_ingest_by_case_id_and_all(make_case, tmp_path, monkeypatch, capsys):
    make_case(case_id="alpha")
    make_case(case_id="beta")
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", "alpha", "--store", "s.db", "--quiet"]) == 0
    assert main(["ingest", "--all", "--store", "s.db", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "alpha: 2 documents (2 unchanged)" in out and "beta: 2 documents (2 added)" in out


def test_ingest_with_failures_exits_1_and_lists_them(make_case, tmp_path, capsys):
    folder = make_case(files={"a.txt": "Tekst.", "b.pdf": b"not a pdf"},
                       rows=[row("a", "a.txt"), row("b", "b.pdf"),
                             row("c", "a.txt", tranche="x")])
    assert main(["ingest", str(folder), "--store", str(tmp_path / "s.db"), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "2 failed" in out
    assert "FAILED" in out and "b.pdf: the PDF is damaged" in out
    assert "manifest.csv:4: unknown tranche 'x'" in out


def test_status_without_store_is_a_usage_error(tmp_path, capsys):
    assert main(["status", "--store", str(tmp_path / "missing.db")]) == 2
    assert "no store at this path" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()


def test_status_unknown_case(make_case, tmp_path, capsys):
    store = str(tmp_path / "s.db")
    main(["ingest", str(make_case()), "--store", store, "--quiet"])
    assert main(["status", "--store", store, "--case", "nope"]) == 2
    assert "case 'nope' is not in the store" in capsys.readouterr().err


def test_store_that_is_not_sqlite_is_a_usage_error(make_case, tmp_path, capsys):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("my notes\n" * 100)
    assert main(["ingest", str(make_case()), "--store", str(bogus), "--quiet"]) == 2
    assert "not a casekit store" in capsys.readouterr().err


def test_store_from_environment(make_case, tmp_path, monkeypatch):
    monkeypatch.setenv("CASEKIT_STORE", str(tmp_path / "env.db"))
    assert main(["ingest", str(make_case()), "--quiet"]) == 0
    assert (tmp_path / "env.db").exists()


def test_validate_reports_and_writes_nothing(make_case, tmp_path, monkeypatch, capsys):
    folder = make_case(files={"a.txt": "Tekst.", "b.txt": ""},
                       rows=[row("a", "a.txt"), row("b", "b.txt")])
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "testcase: PROBLEMS (1 of 2 documents readable" in out
    assert "b.txt: the file is empty" in out
    assert not list(tmp_path.glob("*.db"))
    write_manifest(folder, [row("a", "a.txt")])
    assert main(["validate", str(folder)]) == 0
    assert "testcase: OK" in capsys.readouterr().out


def test_validate_invalid_case_yaml(make_case, capsys):
    folder = make_case(case_yaml="id: [broken\n")
    assert main(["validate", str(folder)]) == 1
    assert "case.yaml:" in capsys.readouterr().out


def test_python_dash_m_casekit(tmp_path):
    result = subprocess.run([sys.executable, "-m", "casekit", "--help"], capture_output=True,
                            text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0 and "usage: casekit" in result.stdout
    result = subprocess.run([sys.executable, "-m", "casekit", "status", "--store",
                             str(tmp_path / "none.db")], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2


# -- coding commands ---------------------------------------------------------------------------

MINI = "tests/data/mini_codebook.yaml"


def test_codebook_check_show_and_test(tmp_path, capsys, monkeypatch):
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    assert main(["codebook", "check", MINI]) == 0
    assert "OK (mini 1.0, 4 codes" in capsys.readouterr().out
    assert main(["codebook", "show", MINI, "--language", "en"]) == 0
    assert "NPM.value  Value for money" in capsys.readouterr().out
    assert main(["codebook", "test", MINI]) == 0
    assert "11 of 11 examples pass" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: X\nversion: '1'\ncodes:\n  - id: A\n    name: A\n"
                   "    rules: {regex: ['(']}\n")
    assert main(["codebook", "check", str(bad)]) == 1
    assert "bad.yaml:7:" in capsys.readouterr().out
    assert main(["codebook", "test", str(bad)]) == 1
    assert main(["codebook", "check", str(tmp_path / "none.yaml")]) == 2
    failing = tmp_path / "failing.yaml"
    original = (REPO / MINI).read_text()
    assert "- Vi spiste middag." in original
    failing.write_text(original.replace("- Vi spiste middag.", "- Målstyring er bra."))
    assert main(["codebook", "test", str(failing)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_code_and_export(make_case, tmp_path, capsys, monkeypatch):
    from tests.conftest import REPO

    store = str(tmp_path / "s.db")
    main(["ingest", str(make_case()), "--store", store, "--quiet"])
    monkeypatch.chdir(REPO)
    assert main(["code", "testcase", "--codebook", MINI, "--store", store, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "testcase: 2 documents, 2 coded, 0 unchanged, 0 failed" in out
    assert main(["code", "--all", "--codebook", MINI, "--store", store, "--quiet"]) == 0
    assert "0 coded, 2 unchanged" in capsys.readouterr().out
    assert main(["status", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "codings:" in out and "mini" in out and "proposed" in out
    out_file = tmp_path / "codings.xlsx"
    assert main(["export", "codings", "testcase", "--out", str(out_file), "--store",
                 store]) == 0
    assert out_file.exists() and "codings" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["code", "testcase", "--codebook", "nope.yaml"], 2, "no such codebook file"),
    (["code", "nocase", "--codebook", MINI], 2, "case 'nocase' is not in the store"),
    (["code", "--codebook", MINI], 2, "name the cases to code"),
    (["export", "codings", "nocase", "--out", "x.csv"], 2, "not in the store"),
    (["export", "codings", "testcase", "--out", "x.json"], 2, "unknown export format"),
])
def test_coding_command_errors(argv, code, message, make_case, tmp_path, capsys, monkeypatch):
    from tests.conftest import REPO

    store = str(tmp_path / "s.db")
    main(["ingest", str(make_case()), "--store", store, "--quiet"])
    monkeypatch.chdir(REPO)
    capsys.readouterr()
    assert main([*argv, "--store", store]) == code
    assert message in capsys.readouterr().err


def test_code_with_invalid_codebook_exits_1(make_case, tmp_path, capsys):
    store = str(tmp_path / "s.db")
    main(["ingest", str(make_case()), "--store", store, "--quiet"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n")
    assert main(["code", "testcase", "--codebook", str(bad), "--store", store]) == 1
    assert "bad.yaml" in capsys.readouterr().out


def test_code_without_store_is_a_usage_error(tmp_path, capsys):
    assert main(["code", "x", "--codebook", str(tmp_path / "a.yaml"), "--store",
                 str(tmp_path / "none.db")]) == 2
