"""The Python API for coding by hand: a project store opened by one coder.

    >>> project = open_project("casekit.db", coder="kari", case_id="digi_midtfjord",
    ...                        codebook="codebooks/governance_logics.yaml")
    >>> coding_id = project.add_coding("int_nettverksleder", 120, 164, "NPG.trust")
    >>> project.accept(57); project.reject(58, reason="about the weather")
    >>> project.memo("Trust comes up in every turn", doc_id="int_nettverksleder")
    >>> project.history()

Every change is one transaction stamped with the coder and the time, and written to the
audit trail. Spans are snapped to word boundaries, so a coding never starts or ends
inside a word.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Self

import pandas as pd

from casekit.codebook import Codebook, stored_codebook
from casekit.errors import UsageError
from casekit.store import DEFAULT_STORE, Store, open_store

RESERVED_CODERS = ("auto", "casekit")
_CODER = re.compile(r"^[^\s,;][^,;]*$")
_JOINERS = "-'’"


def check_coder(coder: str) -> str:
    """Return the coder name stripped; raise UsageError when it cannot name a person."""
    name = (coder or "").strip()
    if not name:
        raise UsageError("give a coder name (who is coding?)")
    if name.lower() in RESERVED_CODERS:
        raise UsageError(f"'{name}' is casekit's own name in the audit trail; give a "
                         "person's name as coder")
    if not _CODER.match(name):
        raise UsageError(f"coder name '{name}' must not contain ',' or ';'")
    return name


def _in_word(text: str, i: int) -> bool:
    """Return True when ``text[i]`` is part of a word (a hyphen or apostrophe inside one)."""
    c = text[i]
    if c.isalnum():
        return True
    return (c in _JOINERS and 0 < i < len(text) - 1 and text[i - 1].isalnum()
            and text[i + 1].isalnum())


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Return ``(start, end)`` widened to whole words and trimmed of outer whitespace.

    A start or end inside a word moves outwards to the word's edge (``kommunene`` is
    coded whole, ``ikt-samarbeidet`` too); spaces and line breaks at either end are left
    out. Raises UsageError when the offsets fall outside the text or cover no text.
    """
    if not 0 <= start < end <= len(text):
        raise UsageError(f"offsets {start}..{end} are outside the text (0..{len(text)})")
    while start > 0 and _in_word(text, start) and _in_word(text, start - 1):
        start -= 1
    while end < len(text) and _in_word(text, end - 1) and _in_word(text, end):
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise UsageError("the span holds only whitespace")
    return start, end


def load_codebook(store: Store, spec: str | Path | Codebook | None) -> Codebook | None:
    """Return the codebook ``spec`` names: a Codebook, a YAML file, or a stored codebook id.

    With None, the store's codebook is used when it holds exactly one (None when it holds
    none). Raises UsageError when the spec names nothing, or the store holds several.
    """
    if isinstance(spec, Codebook):
        return spec
    stored = store.codebooks()  # newest version first
    if spec is None:
        ids = list(dict.fromkeys(stored["codebook_id"]))
        if len(ids) > 1:
            raise UsageError(f"the store holds several codebooks ({', '.join(ids)}); "
                             "say which one to code with")
        spec = ids[0] if ids else None
        if spec is None:
            return None
    spec = str(spec)
    found = stored_codebook(store, spec)
    if found is not None:
        return found[0]
    if Path(spec).is_file():
        return Codebook.load(spec)
    known = ", ".join(dict.fromkeys(stored["codebook_id"])) or "none"
    raise UsageError(f"'{spec}' is neither a codebook file nor a codebook in the store "
                     f"(stored: {known})")


class Project:
    """A project store opened by one coder: the changes a person makes by hand.

    ``case_id`` may be left out when the store holds one case; ``codebook`` (a file, a
    stored codebook id or a :class:`Codebook`) says which codes exist. ``source`` is
    written to the audit trail with each change (python, widget, ...).
    """

    def __init__(self, store: Store, *, coder: str, case_id: str | None = None,
                 codebook: str | Path | Codebook | None = None, source: str = "python",
                 owns_store: bool = False) -> None:
        self.store = store
        self.coder = check_coder(coder)
        self.source = source
        self._owns_store = owns_store
        if case_id is None:
            cases = store.case_ids()
            if len(cases) == 1:
                case_id = cases[0]
        else:
            store.require_case(case_id)
        self._case_id = case_id
        self.codebook = load_codebook(store, codebook)
        self._codebook_pk: int | None = None

    # -- life cycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store if this project opened it."""
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def as_source(self, source: str) -> Project:
        """Return this project recording ``source`` in the audit trail (same store)."""
        other = copy.copy(self)
        other.source = source
        other._owns_store = False
        return other

    @property
    def case_id(self) -> str:
        """Return the case this project codes; raise UsageError when it is not settled."""
        if self._case_id is None:
            raise UsageError("the store holds several cases (or none); open the project "
                             f"with case_id= one of: {', '.join(self.store.case_ids())}")
        return self._case_id

    # -- changes ---------------------------------------------------------------------------

    def check_code(self, code_id: str) -> str:
        """Return ``code_id`` when the codebook has it; raise UsageError naming the codebook."""
        if self.codebook is None:
            raise UsageError("open the project with a codebook to code with")
        if code_id not in self.codebook:
            raise UsageError(f"unknown code '{code_id}' (not in codebook {self.codebook.id})")
        return code_id

    def add_coding(self, doc_id: str, start: int, end: int, code_id: str, *,
                   memo: str = "", snap: bool = True) -> int:
        """Code ``[start, end)`` of a document with ``code_id``; return the new coding's id.

        The span is snapped to word boundaries unless ``snap=False``; the coded text is
        kept as the coding's quote.
        """
        self.check_code(code_id)
        text = self.store.document_text(self.case_id, doc_id)
        if snap:
            start, end = snap_to_words(text, int(start), int(end))
        return self.store.add_manual_coding(
            self.case_id, doc_id, int(start), int(end), codebook_id=self.codebook.id,
            codebook=self._codebook_version(), code_id=code_id, coder=self.coder,
            memo=memo, source=self.source)

    def remove_coding(self, coding_id: int, *, reason: str = "") -> dict[str, Any]:
        """Remove a manual coding; return the removed row (it stays in :meth:`history`)."""
        row = self._require_in_case(coding_id)
        if row["origin"] == "manual" and row["coder"] != self.coder:
            raise UsageError(f"coding {coding_id} is {row['coder']}'s; a coder removes only "
                             "their own codings")
        return self.store.remove_coding(int(coding_id), coder=self.coder, reason=reason,
                                        source=self.source)

    def accept(self, coding_id: int) -> None:
        """Accept an auto proposal as this coder's decision."""
        self._require_in_case(coding_id)
        self.store.decide_coding(int(coding_id), "accepted", coder=self.coder,
                                 source=self.source)

    def reject(self, coding_id: int, *, reason: str = "") -> None:
        """Reject an auto proposal as this coder's decision (it stays, marked rejected)."""
        self._require_in_case(coding_id)
        self.store.decide_coding(int(coding_id), "rejected", coder=self.coder, reason=reason,
                                 source=self.source)

    def memo(self, text: str, *, doc_id: str | None = None, code_id: str | None = None,
             coding_id: int | None = None, start: int | None = None,
             end: int | None = None, title: str = "") -> int:
        """Write a memo; return its id.

        The memo is on the coding when ``coding_id`` is given, else on the code when
        ``code_id`` is given, else on the document (a passage of it with ``start`` and
        ``end``) when ``doc_id`` is given, else on the case.
        """
        if not text or not text.strip():
            raise UsageError("a memo needs some text")
        if (start is None) != (end is None):
            raise UsageError("give both start and end to anchor a memo to a passage")
        if start is not None and doc_id is None:
            raise UsageError("a memo anchored to a passage needs its doc_id")
        codebook_id = None
        if coding_id is not None:
            target = "coding"
            self._require_in_case(coding_id)
        elif code_id is not None:
            target = "code"
            codebook_id = self.codebook.id if self.codebook else None
            self.check_code(code_id)
        elif doc_id is not None:
            target = "document"
        else:
            target = "case"
        return self.store.add_memo(
            self.case_id, text, coder=self.coder, target=target, doc_id=doc_id,
            coding_id=coding_id, codebook_id=codebook_id, code_id=code_id, start=start,
            end=end, title=title, source=self.source)

    # -- reading ---------------------------------------------------------------------------

    def history(self, *, coder: str | None = None, doc_id: str | None = None,
                coding_id: int | None = None) -> pd.DataFrame:
        """Return the case's audit trail as a DataFrame, oldest first (see Store.history)."""
        return self.store.history(self.case_id, coder=coder, doc_id=doc_id,
                                  coding_id=coding_id)

    def memos(self, *, doc_id: str | None = None, coder: str | None = None) -> pd.DataFrame:
        """Return the case's memos, oldest first (see Store.memos)."""
        return self.store.memos(self.case_id, doc_id=doc_id, coder=coder)

    def codings(self, doc_id: str | None = None) -> pd.DataFrame:
        """Return the live codings of the case (or one document), ordered by position."""
        return self.store.document_codings(self.case_id, doc_id)

    def progress(self) -> pd.DataFrame:
        """Return where the coding of the case stands, one row per document.

        Columns: doc_id, title, tranche, undecided (auto proposals nobody decided on),
        accepted and rejected (proposals this coder decided), manual (this coder's own
        codings), memos (this coder's memos on the document, its passages or codings).
        """
        docs = self.store.documents(self.case_id)[["doc_id", "title", "tranche"]].copy()
        codings = self.codings()
        auto = codings[codings["origin"] == "auto"]
        mine = auto[auto["decided_by"] == self.coder]
        counts = {
            "undecided": auto[auto["status"] == "proposed"],
            "accepted": mine[mine["status"] == "accepted"],
            "rejected": mine[mine["status"] == "rejected"],
            "manual": codings[(codings["origin"] == "manual")
                              & (codings["coder"] == self.coder)],
            "memos": self.memos(coder=self.coder),
        }
        for name, frame in counts.items():
            per_doc = frame.groupby("doc_id").size()
            docs[name] = docs["doc_id"].map(per_doc).fillna(0).astype("int64")
        return docs.reset_index(drop=True)

    # -- internals -------------------------------------------------------------------------

    def _codebook_version(self) -> int | None:
        # The version a coder worked with is provenance; storing it is idempotent.
        if self._codebook_pk is None and self.codebook is not None:
            self._codebook_pk = self.store.save_codebook(self.codebook)
        return self._codebook_pk

    def _require_in_case(self, coding_id: int) -> dict[str, Any]:
        row = self.store.coding(int(coding_id))
        if row["case_id"] != self.case_id:
            raise UsageError(f"coding {coding_id} belongs to case '{row['case_id']}', not "
                             f"'{self.case_id}'")
        return row


def open_project(store_path: str | Path = DEFAULT_STORE, *, coder: str,
                 case_id: str | None = None,
                 codebook: str | Path | Codebook | None = None) -> Project:
    """Open an existing project store for ``coder``; return a :class:`Project`.

    Close it with :meth:`Project.close` or use it as a context manager.
    """
    name = check_coder(coder)
    store = open_store(store_path)
    try:
        return Project(store, coder=name, case_id=case_id, codebook=codebook,
                       owns_store=True)
    except BaseException:
        store.close()
        raise
