-- X7: what every inserted row looked like when the run inserted it, so a rollback can tell the
-- run's untouched rows from rows somebody changed since; and the undo itself, kept for the
-- auditor (lineage rows are marked, never deleted). Columns without defaults: no table rewrite.
ALTER TABLE {schema}.lineage
    ADD COLUMN studentid bigint,
    ADD COLUMN att_date date,
    ADD COLUMN row_md5 text,
    ADD COLUMN rolled_back_at timestamptz,
    ADD COLUMN rollback_run_id text,
    ADD COLUMN removed_row jsonb;
COMMENT ON COLUMN {schema}.lineage.studentid IS 'The record''s student when the run inserted it (NULL for rows loaded before 0004).';
COMMENT ON COLUMN {schema}.lineage.att_date IS 'The record''s day when the run inserted it (NULL for rows loaded before 0004).';
COMMENT ON COLUMN {schema}.lineage.row_md5 IS
    'md5 of the whole SIS row''s text (row::text) just after the insert; a rollback deletes the row only while it still matches. NULL for rows loaded before 0004.';
COMMENT ON COLUMN {schema}.lineage.rolled_back_at IS 'When a rollback deleted the row from the SIS; NULL while it is there.';
COMMENT ON COLUMN {schema}.lineage.rollback_run_id IS 'The run of attendance_bridge_rollback that deleted the row.';
COMMENT ON COLUMN {schema}.lineage.removed_row IS 'The whole SIS row as the rollback deleted it (to_jsonb).';

ALTER TABLE {schema}.run_log
    ADD COLUMN rolled_back_at timestamptz,
    ADD COLUMN rolled_back_by text,
    ADD COLUMN rollback_run_id text,
    ADD COLUMN rollback_counts jsonb;
COMMENT ON TABLE {schema}.run_log IS
    'One row per run of the attendance bridge DAGs (sync and rollback): parameters, status, counts, seconds per phase.';
COMMENT ON COLUMN {schema}.run_log.rolled_back_at IS 'A sync run''s rows were deleted by a rollback at this time (status rolled_back).';
COMMENT ON COLUMN {schema}.run_log.rolled_back_by IS 'Who triggered that rollback, as Airflow recorded it.';
COMMENT ON COLUMN {schema}.run_log.rollback_run_id IS 'The run id of that attendance_bridge_rollback run.';
COMMENT ON COLUMN {schema}.run_log.rollback_counts IS 'Rows the rollback deleted, per table.';
