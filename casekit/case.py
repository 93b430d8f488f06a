"""A case on disk: ``case.yaml`` and ``manifest.csv``, loaded and validated.

Nothing here writes to the case folder. Problems come back as errors that name the file,
the line and what is wrong; a bad manifest row is reported and skipped, so the rest of
the case can still be ingested.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from casekit import vocab
from casekit.errors import CaseError, InputError, ManifestError, Msg
from casekit.yamlnodes import plain, position

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Tranche:
    """One stage of a multi-tranche study, in the case's order."""

    id: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Case:
    """A validated ``case.yaml``."""

    id: str
    title: str
    language: str
    tranches: tuple[Tranche, ...]
    path: Path
    description: str = ""
    municipalities: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    yaml_sha256: str = ""

    @property
    def tranche_ids(self) -> tuple[str, ...]:
        """Return the tranche ids in the case's order."""
        return tuple(t.id for t in self.tranches)


@dataclass(frozen=True)
class DocumentSpec:
    """One validated manifest row: where a document is and what it is."""

    doc_id: str
    file: str
    path: Path
    kind: str
    tranche: str
    municipality: str
    actor_role: str
    date: str
    language: str
    title: str
    line: int
    attributes: dict[str, str] = field(default_factory=dict)

    def metadata(self) -> dict[str, str]:
        """Return the manifest fields that describe the document (not where it is)."""
        return {
            "kind": self.kind,
            "tranche": self.tranche,
            "municipality": self.municipality,
            "actor_role": self.actor_role,
            "date": self.date,
            "language": self.language,
            "title": self.title,
        }


def load_case(path: str | Path) -> Case:
    """Load and validate ``<path>/case.yaml``; return the :class:`Case`.

    Raises :class:`~casekit.errors.CaseError` naming case.yaml, the line and the problem.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise CaseError(folder, Msg.CASE_DIR_MISSING)
    yaml_path = folder / "case.yaml"
    if not yaml_path.is_file():
        raise CaseError(folder, Msg.CASE_YAML_MISSING)
    raw = yaml_path.read_bytes()
    try:
        data = YAML(typ="rt").load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CaseError(yaml_path, Msg.CASE_YAML_INVALID.format(error="not UTF-8 text")) from exc
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CaseError(yaml_path, Msg.CASE_YAML_INVALID.format(error=problem),
                        line=line, column=col) from exc
    if not isinstance(data, dict):
        raise CaseError(yaml_path, Msg.CASE_YAML_NOT_MAPPING, line=1)

    def fail(key: str | int, message: str, node: Any = data) -> CaseError:
        line, col = position(node, key, at="key")
        return CaseError(yaml_path, message, line=line, column=col)

    known = vocab.CASE_REQUIRED + vocab.CASE_OPTIONAL
    for key in data:
        if key not in known:
            raise fail(key, Msg.CASE_KEY_UNKNOWN.format(key=key, known=", ".join(known)))
    for key in vocab.CASE_REQUIRED:
        if key not in data or data[key] in (None, ""):
            raise CaseError(yaml_path, Msg.CASE_KEY_MISSING.format(key=key), line=1)

    case_id = str(data["id"]).strip()
    if not _ID.match(case_id):
        raise fail("id", Msg.CASE_ID_INVALID.format(case_id=case_id))
    if case_id != folder.resolve().name:
        raise fail("id", Msg.CASE_ID_MISMATCH.format(case_id=case_id,
                                                      folder=folder.resolve().name))
    language = vocab.normalise_language(str(data["language"]))
    if language is None:
        raise fail("language", Msg.CASE_LANGUAGE_UNKNOWN.format(
            language=data["language"], supported=", ".join(vocab.LANGUAGES)))

    tranches_node = data["tranches"]
    if not isinstance(tranches_node, list) or not tranches_node:
        raise fail("tranches", Msg.CASE_TRANCHES_EMPTY)
    tranches: list[Tranche] = []
    for index, item in enumerate(tranches_node, start=1):
        if not isinstance(item, dict) or not item.get("id") or not item.get("label"):
            raise fail(index - 1, Msg.CASE_TRANCHE_INVALID.format(index=index), tranches_node)
        tranche = Tranche(str(item["id"]).strip(), str(item["label"]).strip(),
                          str(item.get("description") or "").strip())
        if tranche.id in {t.id for t in tranches}:
            raise fail(index - 1, Msg.CASE_TRANCHE_DUPLICATE.format(tranche=tranche.id),
                       tranches_node)
        tranches.append(tranche)

    municipalities = data.get("municipalities") or []
    if not isinstance(municipalities, list) or not all(
        isinstance(m, str) and m.strip() for m in municipalities
    ):
        raise fail("municipalities", Msg.CASE_FIELD_TYPE.format(
            key="municipalities", expected="a list of municipality names"))
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise fail("parameters", Msg.CASE_FIELD_TYPE.format(key="parameters",
                                                            expected="a mapping"))
    return Case(
        id=case_id,
        title=str(data["title"]).strip(),
        language=language,
        tranches=tuple(tranches),
        path=folder,
        description=str(data.get("description") or "").strip(),
        municipalities=tuple(m.strip() for m in municipalities),
        parameters=plain(parameters),
        config=plain(data),
        yaml_sha256=hashlib.sha256(raw).hexdigest(),
    )


def parse_date(value: str) -> str | None:
    """Return ``value`` as ISO ``YYYY-MM-DD``/``YYYY-MM``/``YYYY``, or None if it is no date.

    Norwegian ``DD.MM.YYYY`` is accepted too, since spreadsheets in Norway write dates so.
    """
    value = value.strip()
    formats = (("%Y-%m-%d", "%Y-%m-%d"), ("%d.%m.%Y", "%Y-%m-%d"), ("%Y-%m", "%Y-%m"),
               ("%Y", "%Y"))
    for fmt, out in formats:
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        if 1900 <= parsed.year <= 2100:
            return parsed.strftime(out)
    return None


def _resolve_file(case_dir: Path, file: str) -> tuple[str, Path]:
    """Return (normalised relative name, absolute path) or raise ValueError with a message."""
    name = file.strip().replace("\\", "/")
    if PurePosixPath(name).is_absolute() or PureWindowsPath(file.strip()).drive:
        raise ValueError(Msg.ROW_FILE_ABSOLUTE.format(file=file))
    root = case_dir.resolve()
    target = (root / name).resolve()
    if target != root and root not in target.parents:
        raise ValueError(Msg.ROW_FILE_OUTSIDE.format(file=file))
    relative = target.relative_to(root).as_posix()
    if relative in vocab.CONTROL_FILES:
        raise ValueError(Msg.ROW_FILE_RESERVED.format(file=file))
    if not target.exists():
        raise ValueError(Msg.ROW_FILE_MISSING.format(file=file))
    if not target.is_file():
        raise ValueError(Msg.ROW_FILE_NOT_FILE.format(file=file))
    return relative, target


def _read_manifest_rows(manifest: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header and the (line, fields) rows of a manifest CSV.

    The encoding is detected like a document's (Excel writes Windows-1252 or UTF-8 with
    BOM), and the delimiter may be ',', ';' (Norwegian Excel) or a tab.
    """
    from casekit.readers.text import decode_bytes

    raw = manifest.read_bytes()
    if not raw.strip():
        raise ManifestError(manifest, Msg.MANIFEST_EMPTY)
    text, _encoding = decode_bytes(raw, manifest)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows: list[tuple[int, list[str]]] = []
        start_line = 1
        header: list[str] | None = None
        for fields in reader:
            if header is None:
                header = [h.strip().lower() for h in fields]
            elif any(f.strip() for f in fields):
                rows.append((start_line, fields))
            start_line = reader.line_num + 1
    except csv.Error as exc:
        raise ManifestError(manifest, Msg.MANIFEST_UNREADABLE.format(error=exc),
                            line=reader.line_num) from exc
    if header is None:
        raise ManifestError(manifest, Msg.MANIFEST_EMPTY)
    return header, rows


def load_manifest(case: Case) -> tuple[list[DocumentSpec], list[InputError]]:
    """Validate ``manifest.csv`` of ``case``; return the valid documents and the row errors.

    A row with any problem is left out and every problem in it is reported. Errors that
    concern the manifest as a whole (missing, unreadable, columns missing) are raised.
    """
    manifest = case.path / "manifest.csv"
    if not manifest.is_file():
        raise ManifestError(case.path, Msg.MANIFEST_MISSING)
    header, rows = _read_manifest_rows(manifest)
    seen_columns: set[str] = set()
    for column in header:
        if column and column in seen_columns:
            raise ManifestError(manifest, Msg.MANIFEST_DUPLICATE_COLUMN.format(column=column),
                                line=1)
        seen_columns.add(column)
    missing = [c for c in vocab.MANIFEST_REQUIRED if c not in header]
    if missing:
        raise ManifestError(manifest, Msg.MANIFEST_COLUMNS_MISSING.format(
            columns=", ".join(missing)), line=1)
    if not rows:
        raise ManifestError(manifest, Msg.MANIFEST_EMPTY)

    municipalities = {m.casefold(): m for m in case.municipalities}
    specs: list[DocumentSpec] = []
    errors: list[InputError] = []
    first_seen: dict[str, int] = {}
    for line, fields in rows:
        problems: list[str] = []
        if len(fields) != len(header):
            problems.append(Msg.ROW_FIELD_COUNT.format(found=len(fields), expected=len(header)))
            fields = (fields + [""] * len(header))[: len(header)]
        row = {col: value.strip() for col, value in zip(header, fields, strict=True) if col}

        doc_id = row["doc_id"]
        if not doc_id:
            problems.append(Msg.ROW_FIELD_EMPTY.format(column="doc_id"))
        elif not _DOC_ID.match(doc_id):
            problems.append(Msg.ROW_DOC_ID_INVALID.format(doc_id=doc_id))
        elif doc_id in first_seen:
            problems.append(Msg.ROW_DOC_ID_DUPLICATE.format(doc_id=doc_id,
                                                            first_line=first_seen[doc_id]))
        else:
            first_seen[doc_id] = line

        kind = row["kind"].lower()
        if kind not in vocab.KINDS:
            problems.append(Msg.ROW_KIND_UNKNOWN.format(kind=row["kind"],
                                                        allowed=", ".join(vocab.KINDS)))
        tranche = row["tranche"]
        if tranche not in case.tranche_ids:
            problems.append(Msg.ROW_TRANCHE_UNKNOWN.format(
                tranche=tranche, known=", ".join(case.tranche_ids)))
        role = row["actor_role"].lower()
        if role and role not in vocab.ACTOR_ROLES:
            problems.append(Msg.ROW_ROLE_UNKNOWN.format(role=row["actor_role"],
                                                        allowed=", ".join(vocab.ACTOR_ROLES)))
        municipality = row["municipality"]
        if municipality and municipalities:
            if municipality.casefold() in municipalities:
                municipality = municipalities[municipality.casefold()]
            else:
                problems.append(Msg.ROW_MUNICIPALITY_UNKNOWN.format(
                    municipality=municipality, known=", ".join(case.municipalities)))
        date = ""
        if row["date"]:
            parsed = parse_date(row["date"])
            if parsed is None:
                problems.append(Msg.ROW_DATE_INVALID.format(date=row["date"]))
            else:
                date = parsed
        language = case.language
        if row["language"]:
            code = vocab.normalise_language(row["language"])
            if code is None:
                problems.append(Msg.ROW_LANGUAGE_UNKNOWN.format(
                    language=row["language"], supported=", ".join(vocab.LANGUAGES)))
            else:
                language = code
        relative, target = "", case.path
        if not row["file"]:
            problems.append(Msg.ROW_FIELD_EMPTY.format(column="file"))
        else:
            try:
                relative, target = _resolve_file(case.path, row["file"])
            except ValueError as exc:
                problems.append(str(exc))

        if problems:
            errors.extend(ManifestError(manifest, p, line=line) for p in problems)
            continue
        attributes = {k: v for k, v in row.items() if k not in vocab.MANIFEST_REQUIRED}
        specs.append(DocumentSpec(
            doc_id=doc_id, file=relative, path=target, kind=kind, tranche=tranche,
            municipality=municipality, actor_role=role, date=date, language=language,
            title=row["title"] or Path(relative).stem, line=line, attributes=attributes,
        ))
    return specs, errors


def unlisted_files(case: Case, specs: list[DocumentSpec]) -> list[str]:
    """Return files in the case folder that the manifest does not list (for a reminder).

    Hidden files, control files, READMEs and the ``codings/`` folder (coders' files) are
    not documents and are left out.
    """
    listed = {s.file for s in specs}
    found: list[str] = []
    for path in sorted(case.path.rglob("*")):
        rel = path.relative_to(case.path).as_posix()
        parts = Path(rel).parts
        if (not path.is_file() or any(part.startswith(".") for part in parts)
                or rel in vocab.CONTROL_FILES or path.name.lower().startswith("readme")
                or parts[0] == vocab.CODINGS_FOLDER):
            continue
        if rel not in listed:
            found.append(rel)
    return found
