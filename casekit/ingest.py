"""Ingest: read a case's documents, segment them and store them, one transaction each.

Raw files are only ever read. A document whose file, metadata and segmenter are
unchanged is skipped without being parsed; one that fails is reported and the rest of
the case is still ingested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from casekit.case import Case, DocumentSpec, load_case, load_manifest, unlisted_files
from casekit.errors import CasekitError, InputError
from casekit.provenance import sha256_bytes, sha256_text, software_versions
from casekit.readers import read_document
from casekit.segment import SEGMENTER_VERSION, segment_document
from casekit.store import Store


@dataclass
class DocumentOutcome:
    """What happened to one manifest document in an ingest."""

    doc_id: str
    file: str
    action: str  # added, updated, resegmented, metadata, unchanged, failed
    words: int = 0
    segments: int = 0
    stale_codings: int = 0
    message: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """The result of ingesting one case: per-document outcomes and every problem found."""

    case_path: Path
    case_id: str | None = None
    run_id: int | None = None
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        """Return one message per failed input (case, manifest row or document)."""
        messages = [str(e) for e in self.errors]
        messages += [o.message for o in self.outcomes if o.action == "failed"]
        return messages

    @property
    def ok(self) -> bool:
        """Return True when every input was ingested."""
        return not self.failures

    def counts(self) -> dict[str, int]:
        """Return how many documents were added, updated, unchanged, failed, ..."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.action] = counts.get(outcome.action, 0) + 1
        counts["manifest_errors"] = len(self.errors)
        return counts

    def to_frame(self) -> pd.DataFrame:
        """Return one row per document: doc_id, file, action, words, segments, stale, message."""
        columns = ["doc_id", "file", "action", "words", "segments", "stale_codings", "message"]
        return pd.DataFrame([{c: getattr(o, c) for c in columns} for o in self.outcomes],
                            columns=columns)

    def summary(self) -> dict[str, Any]:
        """Return a JSON-serialisable summary (stored with the run)."""
        return {
            "counts": self.counts(),
            "words": sum(o.words for o in self.outcomes if o.action != "failed"),
            "stale_codings": sum(o.stale_codings for o in self.outcomes),
            "unlisted_files": self.unlisted,
            "orphaned_documents": self.orphaned,
            "totals": self.totals,
        }


def _interviewers(spec: DocumentSpec) -> tuple[str, ...]:
    value = spec.attributes.get("interviewer", "")
    return tuple(v.strip() for v in re.split(r"[,;]", value) if v.strip())


def segmenter_key(spec: DocumentSpec) -> str:
    """Return what a document's segments depend on besides its text.

    Segments are rebuilt when this changes (a new casekit segmenter, another language, a
    document that became an interview) even if the file did not.
    """
    interview = "turns" if spec.kind == "interview" else "plain"
    interviewers = ",".join(_interviewers(spec))
    return f"{SEGMENTER_VERSION}|{spec.language}|{interview}|{interviewers}"


def _record(case: Case, spec: DocumentSpec) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "doc_id": spec.doc_id,
        "file": spec.file,
        "source_path": str(spec.path),
        **spec.metadata(),
        "attributes": spec.attributes,
        "manifest_line": spec.line,
    }


def _metadata_changed(state_meta: dict[str, Any], spec: DocumentSpec) -> bool:
    wanted = {"file": spec.file, **spec.metadata(), "attributes": spec.attributes}
    return any(state_meta.get(k) != v for k, v in wanted.items())


def ingest_document(store: Store, case: Case, spec: DocumentSpec) -> DocumentOutcome:
    """Ingest one document if it changed; return what happened.

    Raises :class:`~casekit.errors.CasekitError` when the file cannot be read.
    """
    raw = spec.path.read_bytes()
    raw_sha = sha256_bytes(raw)
    state = store.document_state(case.id, spec.doc_id)
    key = segmenter_key(spec)
    record = _record(case, spec)
    if state is not None and state.raw_sha256 == raw_sha and state.segmenter == key:
        if _metadata_changed(state.metadata, spec):
            store.update_metadata(state.id, record)
            return DocumentOutcome(spec.doc_id, spec.file, "metadata")
        return DocumentOutcome(spec.doc_id, spec.file, "unchanged")

    result = read_document(spec.path)
    segmentation = segment_document(
        result.text, kind=spec.kind, language=spec.language, pages=result.pages,
        reader_turns=result.turns, interviewers=_interviewers(spec))
    warnings = result.warnings + segmentation.warnings
    words = sum(s.n_words for s in segmentation.of_kind("paragraph"))
    record.update({
        "reader": result.reader,
        "encoding": result.encoding,
        "raw_sha256": raw_sha,
        "raw_bytes": len(raw),
        "text_sha256": sha256_text(result.text),
        "segmenter": key,
        "n_chars": len(result.text),
        "n_words": words,
        "warnings": warnings,
    })
    saved = store.save_document(record, result.text, segmentation.segments)
    return DocumentOutcome(spec.doc_id, spec.file, saved.action, words=words,
                           segments=len(segmentation.segments),
                           stale_codings=saved.stale_codings, warnings=warnings)


def ingest_case(path: str | Path, store: Store, *, progress: bool = True) -> IngestReport:
    """Ingest the case folder at ``path`` into ``store``; return an :class:`IngestReport`.

    Problems with case.yaml stop this case (reported, nothing stored); a bad manifest row
    or an unreadable file stops only that document. The run is recorded in the store.
    """
    report = IngestReport(case_path=Path(path))
    try:
        case = load_case(path)
        report.case_id = case.id
        specs, row_errors = load_manifest(case)
    except InputError as exc:
        report.errors.append(exc)
        return report
    report.errors.extend(row_errors)
    report.unlisted = unlisted_files(case, specs)

    store.save_case(case)
    run_id = store.start_run("ingest", case.id, {"case_path": str(case.path)},
                             software_versions())
    report.run_id = run_id
    bar = tqdm(specs, desc=f"ingest {case.id}", unit="doc", disable=not progress or None,
               leave=False)
    for spec in bar:
        try:
            outcome = ingest_document(store, case, spec)
        except CasekitError as exc:
            outcome = DocumentOutcome(spec.doc_id, spec.file, "failed", message=str(exc))
        except OSError as exc:
            outcome = DocumentOutcome(spec.doc_id, spec.file, "failed",
                                      message=f"{spec.path}: cannot read: {exc.strerror}")
        except Exception as exc:  # one document must never stop the case
            outcome = DocumentOutcome(
                spec.doc_id, spec.file, "failed",
                message=f"{spec.path}: unexpected {type(exc).__name__} while ingesting: {exc}")
        report.outcomes.append(outcome)

    listed = {s.doc_id for s in specs}
    stored = set(store.documents(case.id)["doc_id"])
    report.orphaned = sorted(stored - listed)
    status = store.status(case.id)
    report.totals = {k: int(status[k].sum()) for k in ("documents", "turns", "paragraphs",
                                                       "sentences", "words")}

    messages: list[dict[str, Any]] = [
        {"level": "error", "file": e.path, "line": e.line, "message": str(e)}
        for e in report.errors]
    for o in report.outcomes:
        if o.action == "failed":
            messages.append({"level": "error", "doc_id": o.doc_id, "file": o.file,
                             "message": o.message})
        messages += [{"level": "warning", "doc_id": o.doc_id, "file": o.file, "message": w}
                     for w in o.warnings]
    outcome = "ok" if report.ok else ("partial" if any(
        o.action != "failed" for o in report.outcomes) else "failed")
    store.finish_run(run_id, outcome, report.summary(), messages)
    return report


def find_cases(root: str | Path = "corpora") -> list[Path]:
    """Return the case folders (those with a case.yaml) under ``root``, sorted."""
    root = Path(root)
    return sorted(p.parent for p in root.glob("*/case.yaml"))
