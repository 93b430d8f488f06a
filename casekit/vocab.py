"""Controlled vocabularies of the corpus format, as plain data."""

from __future__ import annotations

KINDS: tuple[str, ...] = ("interview", "policy", "minutes", "memo", "other")

ACTOR_ROLES: tuple[str, ...] = (
    "politician",
    "administration",
    "citizen",
    "partner",
    "network",
    "researcher",
    "other",
)

# Languages with a pipeline (blank spaCy tokenizer + sentencizer; lemmatizer later).
LANGUAGES: tuple[str, ...] = ("nb", "nn", "en", "da", "sv")

# What researchers write in a manifest, mapped to the code casekit uses.
LANGUAGE_ALIASES: dict[str, str] = {
    "no": "nb",
    "nob": "nb",
    "bokmål": "nb",
    "bokmal": "nb",
    "nno": "nn",
    "nynorsk": "nn",
    "eng": "en",
    "english": "en",
    "engelsk": "en",
    "dan": "da",
    "swe": "sv",
}

MANIFEST_REQUIRED: tuple[str, ...] = (
    "doc_id",
    "file",
    "kind",
    "tranche",
    "municipality",
    "actor_role",
    "date",
    "language",
    "title",
)

CASE_REQUIRED: tuple[str, ...] = ("id", "title", "language", "tranches")
CASE_OPTIONAL: tuple[str, ...] = (
    "description",
    "municipalities",
    "parameters",
    "researchers",
    "period",
    "notes",
)

# Files in a case folder that are never documents.
CONTROL_FILES: frozenset[str] = frozenset({"case.yaml", "manifest.csv"})
# A case folder's place for coders' files (manual codings to import): not documents.
CODINGS_FOLDER = "codings"


def normalise_language(value: str) -> str | None:
    """Return the casekit language code for ``value``, or None when it is not supported."""
    code = value.strip().lower().replace("_", "-")
    code = LANGUAGE_ALIASES.get(code, code)
    if code.startswith("nb-") or code.startswith("no-"):
        code = "nb"
    return code if code in LANGUAGES else None
