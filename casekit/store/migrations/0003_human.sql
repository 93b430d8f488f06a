-- casekit project store, schema version 3: human coding, memos and the audit trail.

-- The audit trail names the case and document of every change, so a case's history is
-- one indexed query, and a removed coding (whose row is gone from codings) still shows
-- where it was. `before`/`after` keep whole rows as JSON. `source` says where the change
-- was made: python, widget, or sheet:<file name>.
ALTER TABLE audit ADD COLUMN case_id TEXT;
ALTER TABLE audit ADD COLUMN doc_id TEXT;
ALTER TABLE audit ADD COLUMN source TEXT;
UPDATE audit SET
    case_id = (SELECT d.case_id FROM codings c JOIN documents d ON d.id = c.document_id
               WHERE c.id = audit.row_id),
    doc_id = (SELECT d.doc_id FROM codings c JOIN documents d ON d.id = c.document_id
              WHERE c.id = audit.row_id)
WHERE table_name = 'codings';
CREATE INDEX audit_by_case ON audit(case_id, id);
CREATE INDEX audit_by_row ON audit(table_name, row_id);

-- A memo may be anchored to a passage of its document (a segment in a spreadsheet, a
-- span in the widget). coding_ref keeps the coding a memo was written on after that
-- coding is removed (coding_id, a foreign key, is then set to NULL).
ALTER TABLE memos ADD COLUMN start INTEGER;
ALTER TABLE memos ADD COLUMN "end" INTEGER;
ALTER TABLE memos ADD COLUMN coding_ref INTEGER;
UPDATE memos SET coding_ref = coding_id WHERE coding_id IS NOT NULL;
CREATE INDEX memos_by_case ON memos(case_id, target);

-- Coding ids are never used again: the audit trail and memos name a removed coding by
-- its id, so a later coding must not inherit it. SQLite reuses the highest rowid after a
-- delete unless the key is AUTOINCREMENT, so the table is rebuilt with one. Dropping the
-- old table sets memos.coding_id to NULL; coding_ref (set above) puts it back.
CREATE TABLE codings_v3 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    start         INTEGER NOT NULL,
    "end"         INTEGER NOT NULL,
    codebook_id   TEXT NOT NULL,
    codebook      INTEGER REFERENCES codebooks(id),
    code_id       TEXT NOT NULL,
    coder         TEXT NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('auto','manual')),
    status        TEXT NOT NULL CHECK (status IN ('proposed','accepted','rejected')),
    unit          TEXT,
    rule          TEXT,
    matched       TEXT,
    quote         TEXT NOT NULL,
    memo          TEXT NOT NULL DEFAULT '',
    text_version  INTEGER NOT NULL,
    stale         INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0,1)),
    run_id        INTEGER REFERENCES runs(id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    TEXT,
    evidence      TEXT NOT NULL DEFAULT '[]',
    n_hits        INTEGER NOT NULL DEFAULT 0,
    CHECK (start >= 0 AND "end" > start)
);
INSERT INTO codings_v3 (id, document_id, start, "end", codebook_id, codebook, code_id,
    coder, origin, status, unit, rule, matched, quote, memo, text_version, stale, run_id,
    created_at, updated_at, decided_by, decided_at, evidence, n_hits)
SELECT id, document_id, start, "end", codebook_id, codebook, code_id, coder, origin, status,
    unit, rule, matched, quote, memo, text_version, stale, run_id, created_at, updated_at,
    decided_by, decided_at, evidence, n_hits FROM codings;
-- Ids already given to codings that were deleted before version 3 stay used, too.
INSERT INTO sqlite_sequence (name, seq) SELECT 'codings_v3', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'codings_v3');
UPDATE sqlite_sequence SET seq = MAX(seq,
    COALESCE((SELECT MAX(row_id) FROM audit WHERE table_name = 'codings'), 0))
    WHERE name = 'codings_v3';
DROP TABLE codings;
ALTER TABLE codings_v3 RENAME TO codings;
UPDATE memos SET coding_id = coding_ref WHERE coding_ref IN (SELECT id FROM codings);
CREATE INDEX codings_by_document ON codings(document_id, start);
CREATE INDEX codings_by_code ON codings(codebook_id, code_id);
CREATE INDEX codings_auto ON codings(document_id, codebook_id, origin);
CREATE INDEX codings_by_coder ON codings(coder, status);
