-- X4, X7: one row per load that committed, written by the load's own transaction, so what a run
-- loaded is known even when the process that ran it died just after the commit (the run log is
-- written later, by another task). A retried load reads it back instead of reporting 0 inserted.
CREATE TABLE {schema}.load_log (
    dag_id text NOT NULL,
    run_id text NOT NULL,
    school_number bigint NOT NULL,
    sis_schema text NOT NULL,
    counts jsonb NOT NULL,
    sis_columns jsonb NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX load_log_run_idx ON {schema}.load_log (dag_id, run_id);
COMMENT ON TABLE {schema}.load_log IS
    'One row per committed load of a run (X4): its counts, written in the load''s transaction. Append-only.';
COMMENT ON COLUMN {schema}.load_log.sis_columns IS
    'The columns of attendance and attendance_time, in order, when the load ran: the row fingerprints (lineage.row_md5) are over them, so a rollback after ALTER TABLE ... ADD COLUMN compares the rows on these columns.';
COMMENT ON COLUMN {schema}.load_log.counts IS
    'What the load did: inserted (this load), inserted_attendance_time, skipped_existing, skipped_source_changed, declined_by_database.';

-- X7: "which run inserted this row" (README) and the checks that a row belongs to a run look a
-- row up by table and id; the index on run_id alone made that a scan of the whole lineage.
CREATE INDEX lineage_table_name_row_id_idx ON {schema}.lineage (table_name, row_id);
