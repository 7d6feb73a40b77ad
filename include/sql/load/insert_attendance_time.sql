-- M3: one attendance_time row per new Daily record, with its lineage row (X7) in the same statement.
WITH inserted AS (
    INSERT INTO {sis_schema}.attendance_time (attendanceid, time_in, time_out, total_minutes)
    SELECT t.attendance_id, t.time_in, t.time_out, t.total_minutes
    FROM pg_temp.bridge_records AS t
    WHERE t.attendance_id IS NOT NULL
      AND t.att_mode_code = %(mode_daily)s
    ORDER BY t.row_number
    RETURNING id, attendanceid
)
INSERT INTO {pipeline_schema}.lineage (
    dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id
)
SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance_time', i.id, i.attendanceid,
    t.parent_attendanceid
FROM inserted AS i
JOIN pg_temp.bridge_records AS t ON t.attendance_id = i.attendanceid
