"""Exceptions and every user-facing error message, worded once (as spaCy keeps its errors).

A message names the problem; the exception adds where it happened (file, line, column),
so ``str(error)`` reads like a compiler message: ``corpora/x/manifest.csv:7: unknown tranche``.
"""

from __future__ import annotations

from pathlib import Path


class CasekitError(Exception):
    """Base class for errors casekit reports to the user."""


class UsageError(CasekitError):
    """The command or call itself is wrong (exit code 2 at the command line)."""


class InputError(CasekitError):
    """Bad input: a file, and where in it, and what is wrong."""

    def __init__(
        self,
        path: str | Path | None,
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.problem = problem
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.problem}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class CaseError(InputError):
    """case.yaml is missing or invalid."""


class ManifestError(InputError):
    """A manifest row (or the manifest as a whole) is invalid."""


class ReadError(InputError):
    """A document file could not be read into text."""


class StoreError(CasekitError):
    """The project store cannot be opened or is inconsistent."""


class Msg:
    """Message templates. Format with ``Msg.X.format(...)``; tests match on their wording."""

    # case.yaml
    CASE_DIR_MISSING = "case folder does not exist"
    CASE_YAML_MISSING = "no case.yaml in the case folder"
    CASE_YAML_INVALID = "case.yaml is not valid YAML: {error}"
    CASE_YAML_NOT_MAPPING = "case.yaml must be a mapping of keys to values"
    CASE_KEY_MISSING = "required key '{key}' is missing"
    CASE_KEY_UNKNOWN = "unknown key '{key}' (known keys: {known})"
    CASE_ID_MISMATCH = "case id '{case_id}' does not match the folder name '{folder}'"
    CASE_ID_INVALID = "case id '{case_id}' must be letters, digits, '_' or '-'"
    CASE_TRANCHES_EMPTY = "'tranches' must be a non-empty list of {{id, label}} entries"
    CASE_TRANCHE_INVALID = "tranche entry {index} must have an 'id' and a 'label'"
    CASE_TRANCHE_DUPLICATE = "tranche id '{tranche}' appears more than once"
    CASE_LANGUAGE_UNKNOWN = "unknown language '{language}' (supported: {supported})"
    CASE_FIELD_TYPE = "'{key}' must be {expected}"

    # manifest.csv
    MANIFEST_MISSING = "no manifest.csv in the case folder"
    MANIFEST_UNREADABLE = "manifest.csv cannot be read as CSV: {error}"
    MANIFEST_COLUMNS_MISSING = "required column(s) missing: {columns}"
    MANIFEST_EMPTY = "the manifest lists no documents"
    MANIFEST_DUPLICATE_COLUMN = "column '{column}' appears more than once in the header"
    ROW_FIELD_EMPTY = "'{column}' is empty"
    ROW_DOC_ID_INVALID = "doc_id '{doc_id}' must be letters, digits, '_', '-' or '.'"
    ROW_DOC_ID_DUPLICATE = "duplicate doc_id '{doc_id}' (first used on line {first_line})"
    ROW_TRANCHE_UNKNOWN = "unknown tranche '{tranche}' (case.yaml defines: {known})"
    ROW_KIND_UNKNOWN = "unknown kind '{kind}' (allowed: {allowed})"
    ROW_ROLE_UNKNOWN = "unknown actor_role '{role}' (allowed: {allowed}, or empty)"
    ROW_MUNICIPALITY_UNKNOWN = "unknown municipality '{municipality}' (case.yaml lists: {known})"
    ROW_DATE_INVALID = "bad date '{date}' (use YYYY-MM-DD, YYYY-MM or YYYY)"
    ROW_LANGUAGE_UNKNOWN = "unknown language '{language}' (supported: {supported})"
    ROW_FILE_ABSOLUTE = "file '{file}' is an absolute path; give a path inside the case folder"
    ROW_FILE_OUTSIDE = "file '{file}' points outside the case folder"
    ROW_FILE_MISSING = "file '{file}' does not exist"
    ROW_FILE_NOT_FILE = "file '{file}' is not a regular file"
    ROW_FILE_RESERVED = "file '{file}' is a casekit control file, not a document"
    ROW_FIELD_COUNT = "row has {found} fields, the header has {expected}"

    # readers
    FILE_EMPTY = "the file is empty"
    FILE_NO_TEXT = "the file contains no text"
    FILE_BINARY = "the file is binary, not {kind} text (it contains NUL bytes or control data)"
    FILE_EXTENSION_UNKNOWN = "unknown file extension '{ext}' (supported: {supported})"
    FILE_ENCODING_UNKNOWN = "cannot tell the text encoding (tried UTF-8/16 and {tried})"
    PDF_CORRUPT = "the PDF is damaged or not a PDF: {error}"
    PDF_ENCRYPTED = "the PDF is encrypted with a password; save an unprotected copy"
    PDF_NO_TEXT = "the PDF has no text layer (a scan or images only)"
    PDF_NO_TEXT_HINT = "run OCR first, e.g. 'ocrmypdf in.pdf out.pdf', and point the manifest to it"
    DOCX_UNREADABLE = "the .docx file cannot be opened: {error}"
    ODT_UNREADABLE = "the .odt file cannot be opened: {error}"
    RTF_UNREADABLE = "the .rtf file cannot be read: {error}"
    SUBTITLE_UNREADABLE = "the {kind} file cannot be parsed: {error}"

    # store
    STORE_NEWER = "the store has schema version {found}, newer than this casekit ({known})"
    STORE_NOT_SQLITE = "the file is not a casekit store (SQLite): {error}"
    STORE_MISSING = "no store at this path (run 'casekit ingest' first)"
    CASE_NOT_IN_STORE = "case '{case_id}' is not in the store (known: {known})"
