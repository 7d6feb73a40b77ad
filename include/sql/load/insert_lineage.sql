-- X7: one lineage row per attendance row this load inserted, naming its source record.
INSERT INTO {pipeline_schema}.lineage (
    dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id
)
SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance', n.attendance_id,
    n.attendance_id, n.parent_attendanceid
FROM pg_temp.bridge_inserted AS n
ORDER BY n.attendance_id
