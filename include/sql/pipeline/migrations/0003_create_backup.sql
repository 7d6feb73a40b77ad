-- X6: a verified snapshot of the school's attendance in the range, taken before every load.
CREATE TABLE {schema}.backup (
    dag_id text NOT NULL,
    run_id text NOT NULL,
    sis_schema text NOT NULL,
    school_number bigint NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    attendance_rows bigint NOT NULL,
    attendance_time_rows bigint NOT NULL,
    checksum text NOT NULL,
    taken_at timestamptz NOT NULL,
    verified_at timestamptz,
    PRIMARY KEY (dag_id, run_id)
);
COMMENT ON TABLE {schema}.backup IS
    'X6: manifest of one run''s snapshot: what it covers, row counts and checksum, and when it was verified.';
COMMENT ON COLUMN {schema}.backup.checksum IS
    'md5 over the row counts and the sums of the 64-bit md5 prefixes of every row''s jsonb text, per table.';

-- Whole rows as jsonb, so columns the pipeline does not know about are kept as they were.
CREATE TABLE {schema}.backup_attendance (
    dag_id text NOT NULL,
    run_id text NOT NULL,
    attendance_id bigint,
    "row" jsonb NOT NULL
);
CREATE INDEX backup_attendance_run_idx ON {schema}.backup_attendance (dag_id, run_id);
COMMENT ON TABLE {schema}.backup_attendance IS
    'X6: every attendance row of the school in the run''s range, all modes, as to_jsonb of the whole row.';

CREATE TABLE {schema}.backup_attendance_time (
    dag_id text NOT NULL,
    run_id text NOT NULL,
    attendance_time_id bigint,
    attendance_id bigint,
    "row" jsonb NOT NULL
);
CREATE INDEX backup_attendance_time_run_idx ON {schema}.backup_attendance_time (dag_id, run_id);
COMMENT ON TABLE {schema}.backup_attendance_time IS
    'X6: the attendance_time rows of the attendance rows in backup_attendance, as to_jsonb of the whole row.';
