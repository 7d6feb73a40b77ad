-- A run starts, or a retried or cleared run starts again: its row goes back to 'running'. A
-- rolled-back run's row stays as it is (its records were deleted; the row says what it did and who
-- undid it): no row comes back, and the caller refuses the run (migration 0008's trigger refuses
-- the change for the pipeline's login too).
INSERT INTO {schema}.run_log AS r (
    dag_id, run_id, school_number, yearid, direction, requested_direction, absent_periods,
    start_date, end_date, dry_run, status, parameters, triggered_by, started_at
)
VALUES (
    %(dag_id)s, %(run_id)s, %(school_number)s, %(yearid)s, %(direction)s, %(requested_direction)s,
    %(absent_periods)s, %(start_date)s, %(end_date)s, %(dry_run)s, 'running', %(parameters)s,
    %(triggered_by)s, now()
)
ON CONFLICT (dag_id, run_id) DO UPDATE SET
    school_number = coalesce(excluded.school_number, r.school_number),
    yearid = coalesce(excluded.yearid, r.yearid),
    direction = coalesce(excluded.direction, r.direction),
    requested_direction = coalesce(excluded.requested_direction, r.requested_direction),
    absent_periods = coalesce(excluded.absent_periods, r.absent_periods),
    start_date = coalesce(excluded.start_date, r.start_date),
    end_date = coalesce(excluded.end_date, r.end_date),
    dry_run = coalesce(excluded.dry_run, r.dry_run),
    status = 'running',
    parameters = excluded.parameters,
    counts = jsonb_build_object(),
    timings = jsonb_build_object(),
    message = NULL,
    report_path = NULL,
    triggered_by = coalesce(excluded.triggered_by, r.triggered_by),
    started_at = now(),
    finished_at = NULL
WHERE r.status IS DISTINCT FROM 'rolled_back'
RETURNING r.run_id
