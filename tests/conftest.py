"""Shared fixtures: a small case folder built in the test, and a store."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from casekit.store import Store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def loaded_modules(code: str, modules: Sequence[str]) -> list[str]:
    """Return which of ``modules`` a fresh interpreter has loaded after running ``code``
    (to check that a light path stays light)."""
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {list(modules)!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=REPO)
    return [m for m in run.stdout.strip().split(",") if m]

CASE_YAML = """\
id: {case_id}
title: Testcase
description: A case built by the tests.
language: nb
tranches:
  - id: network
    label: Nettverket
  - id: interplay
    label: Samspill
  - id: municipality
    label: Kommunene
municipalities:
  - Havvik
  - Bjørkeli
"""

COLUMNS = ["doc_id", "file", "kind", "tranche", "municipality", "actor_role", "date",
           "language", "title"]

INTERVIEW = """\
Intervju med Kari Nilsen, Havvik, 3. mai 2025.

[00:00:05] Forsker: Kan du fortelle om samarbeidet?

[00:00:09] Kari Nilsen: Ja. Vi har jobbet sammen i fire år. Kommunene stoler på hverandre.

[00:01:10] Forsker: Hva med innbyggerne?

[00:01:15] Kari Nilsen: De er med og utvikler tjenestene sammen med oss. Det er samskaping.
"""

POLICY = """\
# Strategi for digitalisering

Målet er effektive tjenester. Vi skal måle resultatene hvert år.

- Felles anskaffelser
- Gevinstrealisering

Kommunestyret vedtar planen.
"""


def row(doc_id: str, file: str, kind: str = "policy", tranche: str = "network",
        **extra: str) -> dict[str, str]:
    """Return a manifest row with sensible defaults."""
    base = {"doc_id": doc_id, "file": file, "kind": kind, "tranche": tranche,
            "municipality": "", "actor_role": "", "date": "2025-05-03", "language": "nb",
            "title": doc_id}
    base.update(extra)
    return base


def write_manifest(folder: Path, rows: list[dict[str, str]], columns: list[str] | None = None,
                   delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """Write manifest.csv with the given rows (extra keys become extra columns)."""
    columns = list(columns or COLUMNS)
    for r in rows:
        columns += [k for k in r if k not in columns]
    path = folder / "manifest.csv"
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter,
                                lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({c: r.get(c, "") for c in columns})
    return path


@pytest.fixture
def make_case(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory: make_case(files={name: text|bytes}, rows=[...]) -> case folder."""

    def factory(files: dict[str, str | bytes] | None = None,
                rows: list[dict[str, str]] | None = None, case_id: str = "testcase",
                case_yaml: str | None = None, root: Path | None = None) -> Path:
        folder = (root or tmp_path / "corpora") / case_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "case.yaml").write_text(case_yaml or CASE_YAML.format(case_id=case_id),
                                          encoding="utf-8")
        if files is None:
            files = {"intervju.txt": INTERVIEW, "strategi.md": POLICY}
        for name, content in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        if rows is None:
            rows = [row("int1", "intervju.txt", kind="interview", actor_role="network"),
                    row("pol1", "strategi.md", kind="policy", tranche="municipality",
                        municipality="Havvik", actor_role="administration")]
        write_manifest(folder, rows)
        return folder

    return factory


@pytest.fixture
def store(tmp_path: Path) -> Any:
    """Return a new empty store in the test's folder (closed afterwards)."""
    s = Store(tmp_path / "test.db")
    yield s
    s.close()
