-- The manifest of a run's snapshot.
SELECT backup_id, dag_id, run_id, sis_schema, school_number, start_date, end_date,
    attendance_table, attendance_time_table, attendance_rows, attendance_time_rows, checksum, taken_at, verified_at
FROM {pipeline_schema}.backup
WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
ORDER BY backup_id DESC
LIMIT 1
