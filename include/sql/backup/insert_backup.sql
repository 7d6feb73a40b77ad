-- X6: the manifest of a snapshot whose counts and checksum agree with the SIS tables.
INSERT INTO {pipeline_schema}.backup (
    backup_id, dag_id, run_id, sis_schema, school_number, start_date, end_date,
    attendance_table, attendance_time_table, attendance_rows, attendance_time_rows, checksum, taken_at, verified_at
)
VALUES (
    %(backup_id)s, %(dag_id)s, %(run_id)s, %(sis_schema)s, %(school_number)s, %(start_date)s, %(end_date)s,
    %(attendance_table)s, %(attendance_time_table)s, %(attendance_rows)s, %(attendance_time_rows)s, %(checksum)s,
    now(), clock_timestamp()
)
RETURNING backup_id, dag_id, run_id, sis_schema, school_number, start_date, end_date,
    attendance_table, attendance_time_table, attendance_rows, attendance_time_rows, checksum, taken_at, verified_at
