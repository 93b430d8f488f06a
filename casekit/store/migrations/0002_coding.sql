-- casekit project store, schema version 2: incremental auto-coding.

-- Every hit behind an auto coding (rule, matched text, offsets), and how many there were:
-- the evidence a methods chapter cites and quote ranking uses.
ALTER TABLE codings ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]';
ALTER TABLE codings ADD COLUMN n_hits INTEGER NOT NULL DEFAULT 0;
CREATE INDEX codings_auto ON codings(document_id, codebook_id, origin);

-- What each document was last coded with, so an unchanged document is skipped.
CREATE TABLE coding_state (
    document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    codebook_id   TEXT NOT NULL,
    codebook      INTEGER NOT NULL REFERENCES codebooks(id),
    text_sha256   TEXT NOT NULL,
    coder_key     TEXT NOT NULL,           -- coder version and options
    run_id        INTEGER REFERENCES runs(id),
    proposals     INTEGER NOT NULL,
    coded_at      TEXT NOT NULL,
    PRIMARY KEY (document_id, codebook_id)
);
