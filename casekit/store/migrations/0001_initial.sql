-- casekit project store, schema version 1.
-- Offsets are character positions (Unicode code points) into document_texts.text, as
-- REFI-QDA counts them. Times are ISO 8601 UTC strings.

CREATE TABLE cases (
    case_id       TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL,
    source_path   TEXT NOT NULL,
    config        TEXT NOT NULL,            -- case.yaml as JSON
    yaml_sha256   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE tranches (
    case_id       TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
    tranche_id    TEXT NOT NULL,
    label         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    position      INTEGER NOT NULL,
    PRIMARY KEY (case_id, tranche_id)
);

CREATE TABLE municipalities (
    case_id       TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (case_id, name)
);

CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
    doc_id        TEXT NOT NULL,
    file          TEXT NOT NULL,            -- relative to the case folder
    source_path   TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('interview','policy','minutes','memo','other')),
    tranche       TEXT NOT NULL,
    municipality  TEXT NOT NULL DEFAULT '',
    actor_role    TEXT NOT NULL DEFAULT '',
    date          TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL,
    title         TEXT NOT NULL,
    attributes    TEXT NOT NULL DEFAULT '{}',  -- extra manifest columns as JSON
    manifest_line INTEGER,
    reader        TEXT NOT NULL,
    encoding      TEXT,
    raw_sha256    TEXT NOT NULL,
    raw_bytes     INTEGER NOT NULL,
    text_sha256   TEXT NOT NULL,
    text_version  INTEGER NOT NULL,
    segmenter     TEXT NOT NULL,            -- what the segments were made with (re-segment on change)
    n_chars       INTEGER NOT NULL,
    n_words       INTEGER NOT NULL,
    warnings      TEXT NOT NULL DEFAULT '[]',
    ingested_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (case_id, doc_id)
);

-- Every text a document has had: codings made on an older version keep their quote.
CREATE TABLE document_texts (
    document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    text_sha256   TEXT NOT NULL,
    raw_sha256    TEXT NOT NULL,
    text          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (document_id, version)
);

CREATE TABLE segments (
    id            INTEGER PRIMARY KEY,
    document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('page','turn','paragraph','sentence')),
    seq           INTEGER NOT NULL,
    start         INTEGER NOT NULL,
    "end"         INTEGER NOT NULL,
    speaker       TEXT,
    speaker_role  TEXT,
    turn          INTEGER,
    paragraph     INTEGER,
    page          INTEGER,
    time_start    TEXT,
    time_end      TEXT,
    n_words       INTEGER NOT NULL,
    CHECK (start >= 0 AND "end" > start),
    UNIQUE (document_id, kind, seq)
);
CREATE INDEX segments_by_document ON segments(document_id, kind, start);

CREATE TABLE codebooks (
    id            INTEGER PRIMARY KEY,
    codebook_id   TEXT NOT NULL,            -- the codebook's own id, stable across versions
    version       TEXT NOT NULL,
    title         TEXT NOT NULL,
    sha256        TEXT NOT NULL UNIQUE,     -- content hash: one row per version used
    source_path   TEXT NOT NULL,
    content       TEXT NOT NULL,            -- the codebook file as it was
    created_at    TEXT NOT NULL
);

CREATE TABLE codes (
    id            INTEGER PRIMARY KEY,
    codebook      INTEGER NOT NULL REFERENCES codebooks(id) ON DELETE CASCADE,
    code_id       TEXT NOT NULL,            -- dotted path, e.g. NPM.performance
    parent_id     TEXT,
    position      INTEGER NOT NULL,
    names         TEXT NOT NULL DEFAULT '{}',   -- {"nb": ..., "en": ...}
    definition    TEXT NOT NULL DEFAULT '',
    colour        TEXT,
    unit          TEXT CHECK (unit IN ('sentence','paragraph','turn','document')),
    UNIQUE (codebook, code_id)
);

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,            -- ingest, code, report, import
    case_id       TEXT,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running','ok','partial','failed')),
    parameters    TEXT NOT NULL DEFAULT '{}',
    software      TEXT NOT NULL DEFAULT '{}',   -- versions of casekit, Python and libraries
    summary       TEXT NOT NULL DEFAULT '{}'
);

-- What went wrong (or needs a look) in a run, one row per document and problem.
CREATE TABLE run_messages (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    level         TEXT NOT NULL CHECK (level IN ('error','warning','info')),
    doc_id        TEXT,
    file          TEXT,
    line          INTEGER,
    message       TEXT NOT NULL
);

CREATE TABLE codings (
    id            INTEGER PRIMARY KEY,
    document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    start         INTEGER NOT NULL,
    "end"         INTEGER NOT NULL,
    codebook_id   TEXT NOT NULL,            -- the codebook's stable id
    codebook      INTEGER REFERENCES codebooks(id),  -- the version that produced an auto coding
    code_id       TEXT NOT NULL,
    coder         TEXT NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('auto','manual')),
    status        TEXT NOT NULL CHECK (status IN ('proposed','accepted','rejected')),
    unit          TEXT,
    rule          TEXT,                     -- for auto codings: which rule fired
    matched       TEXT,                     -- the exact term or pattern that matched
    quote         TEXT NOT NULL,            -- the coded text when coded, kept if the text changes
    memo          TEXT NOT NULL DEFAULT '',
    text_version  INTEGER NOT NULL,         -- document_texts.version the offsets refer to
    stale         INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0,1)),
    run_id        INTEGER REFERENCES runs(id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    decided_by    TEXT,                     -- who accepted or rejected a proposal
    decided_at    TEXT,
    CHECK (start >= 0 AND "end" > start)
);
CREATE INDEX codings_by_document ON codings(document_id, start);
CREATE INDEX codings_by_code ON codings(codebook_id, code_id);

CREATE TABLE memos (
    id            INTEGER PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
    target        TEXT NOT NULL CHECK (target IN ('case','document','code','coding')),
    document_id   INTEGER REFERENCES documents(id) ON DELETE CASCADE,
    coding_id     INTEGER REFERENCES codings(id) ON DELETE SET NULL,
    codebook_id   TEXT,
    code_id       TEXT,
    coder         TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Who changed what, when: nothing a coder did is lost.
CREATE TABLE audit (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    table_name    TEXT NOT NULL,
    row_id        INTEGER,
    before        TEXT,
    after         TEXT
);
