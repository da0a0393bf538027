-- One row per file of each successful ingest: where the data came from and when,
-- so the console can show how fresh it is.
CREATE TABLE ingest_log (
    ingested_at TIMESTAMP NOT NULL,
    path        VARCHAR NOT NULL,
    table_name  VARCHAR NOT NULL,
    rows_read   UBIGINT NOT NULL,
    rows_added  UBIGINT NOT NULL,
    rows_updated UBIGINT NOT NULL
);
