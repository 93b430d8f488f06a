"""Auto-coding a case: every document against every codebook, incrementally, into the store.

A document whose text, codebook version and coder settings are unchanged since its last
run is skipped. Each document and codebook is written in one transaction that replaces
the earlier proposals and keeps every human decision. A document that fails is reported
and the rest are coded; the run records codebook hashes, software versions and times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from casekit.codebook import Codebook
from casekit.coder import CODER_VERSION, CompiledCodebook, Proposal, Unit
from casekit.provenance import software_versions
from casekit.store import Store

UNIT_KINDS = ("sentence", "paragraph", "turn")


@dataclass
class CodingReport:
    """What a coding run did: per codebook counts, skipped and failed documents."""

    case_id: str
    run_id: int | None = None
    documents: int = 0
    coded: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True when every document was coded (or skipped as unchanged)."""
        return not self.failures

    def summary(self) -> dict[str, Any]:
        """Return a JSON-serialisable summary (stored with the run)."""
        return {"documents": self.documents, "coded": self.coded, "skipped": self.skipped,
                "failed": len(self.failures), "codebooks": self.counts}


def coder_key(include_interviewer: bool) -> str:
    """Return the coder settings a stored coding depends on besides text and codebook."""
    return f"{CODER_VERSION}|interviewer={'yes' if include_interviewer else 'no'}"


def units_for(rows: Sequence[dict[str, Any]], include_interviewer: bool
              ) -> dict[str, list[Unit]]:
    """Group a document's segment rows into units per kind, marking interviewer speech."""
    units: dict[str, list[Unit]] = {kind: [] for kind in UNIT_KINDS}
    for row in rows:
        skip = row["speaker_role"] == "interviewer" and not include_interviewer
        units[row["kind"]].append(Unit(row["start"], row["end"], row["seq"], skip))
    for items in units.values():
        items.sort(key=lambda u: u.start)
    return units


def _as_row(proposal: Proposal) -> dict[str, Any]:
    return {
        "code_id": proposal.code_id,
        "unit": proposal.unit,
        "start": proposal.start,
        "end": proposal.end,
        "rule": proposal.rule,
        "matched": proposal.matched,
        "n_hits": proposal.n_hits,
        "evidence": [{"rule": h.rule.label, "matched": h.matched, "start": h.start,
                      "end": h.end} for h in proposal.hits],
    }


def code_case(store: Store, case_id: str, codebooks: Sequence[Codebook], *,
              include_interviewer: bool = False, force: bool = False,
              progress: bool = True) -> CodingReport:
    """Auto-code every document of a case with each codebook; return a :class:`CodingReport`.

    Interviewer turns are not coded unless ``include_interviewer``; ``force`` codes
    unchanged documents again.
    """
    store.require_case(case_id)
    report = CodingReport(case_id)
    compiled = [(cb, CompiledCodebook(cb), store.save_codebook(cb)) for cb in codebooks]
    key = coder_key(include_interviewer)
    report.run_id = store.start_run(
        "code", case_id,
        {"codebooks": [{"id": cb.id, "version": cb.version, "sha256": cb.sha256,
                        "path": str(cb.path)} for cb in codebooks],
         "include_interviewer": include_interviewer, "force": force, "coder": key},
        software_versions())
    report.counts = {cb.id: {"added": 0, "kept": 0, "reanchored": 0, "removed": 0}
                     for cb in codebooks}
    targets = store.coding_targets(case_id)
    report.documents = len(targets)
    messages: list[dict[str, Any]] = []
    bar = tqdm(targets, desc=f"code {case_id}", unit="doc", leave=False,
               disable=not progress or None)
    for doc in bar:
        text: str | None = None
        units: dict[str, list[Unit]] | None = None
        coded = False
        for codebook, matcher, pk in compiled:
            state = store.coding_state(doc["document_id"], codebook.id)
            if (not force and state is not None and state["sha256"] == codebook.sha256
                    and state["text_sha256"] == doc["text_sha256"]
                    and state["coder_key"] == key):
                continue
            try:
                if text is None:
                    text = store.current_text(doc["document_id"])
                    units = units_for(store.document_units(doc["document_id"]),
                                      include_interviewer)
                proposals = matcher.propose(text, doc["language"], units)
                counts = store.apply_auto_codings(
                    doc["document_id"], codebook=pk, codebook_id=codebook.id,
                    text_sha256=doc["text_sha256"], coder_key=key, run_id=report.run_id,
                    proposals=[_as_row(p) for p in proposals])
            except Exception as exc:  # one document must never stop the run
                message = (f"{doc['doc_id']}: coding with {codebook.id} failed: "
                           f"{type(exc).__name__}: {exc}")
                report.failures.append(message)
                messages.append({"level": "error", "doc_id": doc["doc_id"],
                                 "message": message})
                continue
            coded = True
            for name, value in counts.items():
                report.counts[codebook.id][name] += value
        if coded:
            report.coded += 1
        elif not any(m.get("doc_id") == doc["doc_id"] for m in messages):
            report.skipped += 1
    status = "ok" if report.ok else ("partial" if report.coded or report.skipped
                                     else "failed")
    store.finish_run(report.run_id, status, report.summary(), messages)
    return report
