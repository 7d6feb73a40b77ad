-- A run ends: its outcome, counts and timings; fields already known are kept when not given again.
-- A run a rollback undid keeps its row as it is (status, counts, message, times): a report task run
-- again later must not make it look loaded, nor overwrite what it did.
INSERT INTO {schema}.run_log AS r (
    dag_id, run_id, school_number, yearid, direction, requested_direction, absent_periods,
    start_date, end_date, dry_run, status, counts, timings, message, report_path, started_at, finished_at
)
VALUES (
    %(dag_id)s, %(run_id)s, %(school_number)s, %(yearid)s, %(direction)s, %(requested_direction)s,
    %(absent_periods)s, %(start_date)s, %(end_date)s, %(dry_run)s, %(status)s, %(counts)s, %(timings)s,
    %(message)s, %(report_path)s, now(), now()
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
    status = excluded.status,
    counts = excluded.counts,
    timings = excluded.timings,
    message = coalesce(excluded.message, r.message),
    report_path = coalesce(excluded.report_path, r.report_path),
    finished_at = now()
WHERE r.status IS DISTINCT FROM 'rolled_back'
