"""The project's promises: dependency lists in step, the two README commands, CI, layout."""

from __future__ import annotations

import json
import re
import tomllib

from packaging.requirements import Requirement
from ruamel.yaml import YAML

from tests.conftest import REPO


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    parsed = {}
    for spec in requirements:
        req = Requirement(spec)
        parsed[_normalise(req.name)] = str(req.specifier)
    return parsed


def _environment_requirements() -> dict[str, str]:
    env = YAML(typ="safe").load((REPO / "environment.yml").read_text())
    parsed = {}
    for entry in env["dependencies"]:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if item.startswith("-e") or item in ("pip",) or item.startswith("python="):
                continue
            req = Requirement(item)
            parsed[_normalise(req.name)] = str(req.specifier)
    return parsed


def test_environment_yml_and_pyproject_list_the_same_packages():
    assert _environment_requirements() == _pyproject_requirements()


def test_core_stack_is_required_not_optional():
    core = {_normalise(Requirement(s).name) for s in tomllib.loads(
        (REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert {"jupyterlab", "pandas", "spacy", "nltk", "matplotlib", "papermill",
            "nbconvert"} <= core


def test_environment_uses_conda_forge_and_python_311():
    env = YAML(typ="safe").load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]


def test_console_script_and_python_version():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["casekit"] == "casekit.cli:main"
    assert "3.11" in project["requires-python"]


def test_readme_starts_with_the_two_commands():
    lines = [line for line in (REPO / "README.md").read_text().splitlines() if line.strip()]
    commands = [line.split("#")[0].strip() for line in lines[:6] if line.startswith("make ")]
    assert commands == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    script = (REPO / ".ci" / "run").read_text()
    assert "make test" in script
    assert "set -euo pipefail" in script


def test_makefile_targets_create_the_venv():
    makefile = (REPO / "Makefile").read_text()
    for target in ("demo:", "test:"):
        assert target in makefile
    assert "-m venv" in makefile


def test_top_level_layout():
    for name in ("notebooks", "casekit", "corpora", "codebooks", "tests", "benchmarks"):
        assert (REPO / name).is_dir(), name
    for name in ("environment.yml", "pyproject.toml", "Makefile", "README.md", ".ci/run"):
        assert (REPO / name).is_file(), name


def test_notebooks_are_committed_clean_with_parameters():
    for path in sorted((REPO / "notebooks").glob("**/*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook["cells"]
        assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), path
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells), path
