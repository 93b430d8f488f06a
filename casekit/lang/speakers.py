"""Speaker labels seen in interview transcripts, as plain data.

Keys are case-folded labels; values say whose voice a turn is. A label not listed here is
still a speaker when it recurs in the transcript (names, "Informant 2", "Saksbehandler B").
"""

from __future__ import annotations

INTERVIEWER = "interviewer"
INFORMANT = "informant"

KNOWN_LABELS: dict[str, str] = {
    # Norwegian (bokmål/nynorsk)
    "i": INTERVIEWER,
    "int": INTERVIEWER,
    "intervjuer": INTERVIEWER,
    "intervjuar": INTERVIEWER,
    "forsker": INTERVIEWER,
    "forskar": INTERVIEWER,
    "spørsmål": INTERVIEWER,
    "moderator": INTERVIEWER,
    "r": INFORMANT,
    "resp": INFORMANT,
    "respondent": INFORMANT,
    "informant": INFORMANT,
    "svar": INFORMANT,
    "deltaker": INFORMANT,
    "deltakar": INFORMANT,
    # English
    "interviewer": INTERVIEWER,
    "researcher": INTERVIEWER,
    "q": INTERVIEWER,
    "question": INTERVIEWER,
    "a": INFORMANT,
    "answer": INFORMANT,
    "interviewee": INFORMANT,
    "participant": INFORMANT,
}

# Labels followed by a number or letter ("Informant 2", "Deltaker B") keep the role of
# their first word.
NUMBERED_PREFIXES: tuple[str, ...] = (
    "informant", "deltaker", "deltakar", "respondent", "participant", "interviewee",
    "intervjuer", "interviewer",
)

# Words that look like labels at the start of a line but are not speakers.
NOT_SPEAKERS: frozenset[str] = frozenset({
    "merk", "obs", "note", "notat", "dato", "date", "sted", "place", "tid", "time", "tema",
    "sak", "vedtak", "innstilling", "forslag", "kilde", "source", "tittel", "title",
    "varighet", "duration", "deltakere", "participants", "til stede", "referent",
    "møteleder", "fravær", "forfall", "kopi", "http", "https", "www", "ps", "fs",
})
