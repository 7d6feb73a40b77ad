-- The run log rows of a run id among the given DAGs (one, unless two DAGs used the same id).
SELECT dag_id, run_id, school_number, status, dry_run, yearid, start_date, end_date, direction,
    requested_direction, absent_periods, parameters, triggered_by, started_at, message, report_path
FROM {schema}.run_log
WHERE dag_id = ANY(%(dag_ids)s) AND run_id = %(run_id)s
