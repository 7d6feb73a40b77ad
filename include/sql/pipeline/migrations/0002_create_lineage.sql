-- X7: every row a run inserted into the SIS, with its run and its source record.
CREATE TABLE {schema}.lineage (
    dag_id text NOT NULL,
    run_id text NOT NULL,
    school_number bigint NOT NULL,
    sis_schema text NOT NULL,
    table_name text NOT NULL CONSTRAINT lineage_table_name_check CHECK (table_name IN ('attendance', 'attendance_time')),
    row_id bigint NOT NULL,
    attendance_id bigint NOT NULL,
    source_attendance_id bigint NOT NULL,
    inserted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lineage_run_id_idx ON {schema}.lineage (run_id);
CREATE INDEX lineage_school_number_idx ON {schema}.lineage (school_number);
COMMENT ON TABLE {schema}.lineage IS
    'X7: one row per attendance or attendance_time row a run inserted; deleting exactly these rows undoes the run.';
COMMENT ON COLUMN {schema}.lineage.sis_schema IS 'The schema of the SIS table the row was inserted into.';
COMMENT ON COLUMN {schema}.lineage.row_id IS 'The id of the inserted row in table_name.';
COMMENT ON COLUMN {schema}.lineage.attendance_id IS
    'The attendance record the row belongs to: row_id itself for attendance, attendanceid for attendance_time.';
COMMENT ON COLUMN {schema}.lineage.source_attendance_id IS 'The source record the row was built from (its parent_attendanceid).';
