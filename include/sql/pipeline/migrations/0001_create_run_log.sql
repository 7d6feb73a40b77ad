-- One row per Airflow run of the sync: what was asked, what happened, how long each phase took.
CREATE TABLE {schema}.run_log (
    dag_id text NOT NULL,
    run_id text NOT NULL,
    school_number bigint,
    yearid integer,
    direction text,
    requested_direction text,
    absent_periods text,
    start_date date,
    end_date date,
    dry_run boolean,
    status text NOT NULL DEFAULT 'running'
        CONSTRAINT run_log_status_check CHECK (status IN ('running', 'failed', 'succeeded', 'rolled_back')),
    parameters jsonb NOT NULL DEFAULT jsonb_build_object(),
    counts jsonb NOT NULL DEFAULT jsonb_build_object(),
    timings jsonb NOT NULL DEFAULT jsonb_build_object(),
    message text,
    report_path text,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    triggered_by text,
    PRIMARY KEY (dag_id, run_id)
);
CREATE INDEX run_log_school_number_started_at_idx ON {schema}.run_log (school_number, started_at);
COMMENT ON TABLE {schema}.run_log IS
    'One row per run of the attendance bridge sync (SPEC section 6): parameters, status, counts, seconds per phase.';
COMMENT ON COLUMN {schema}.run_log.run_id IS 'The Airflow run id; a retried or cleared run reuses its row.';
COMMENT ON COLUMN {schema}.run_log.parameters IS 'The run''s conf as triggered, before any checking.';
COMMENT ON COLUMN {schema}.run_log.timings IS 'Seconds per phase (task).';
