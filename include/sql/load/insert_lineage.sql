-- X7: one lineage row per attendance row this run inserted, naming its source record.
INSERT INTO {pipeline_schema}.lineage (
    dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id
)
SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance', t.attendance_id,
    t.attendance_id, t.parent_attendanceid
FROM pg_temp.bridge_records AS t
WHERE t.attendance_id IS NOT NULL
ORDER BY t.row_number
