-- X7: one lineage row per attendance row this load inserted, naming its source record, with the
-- student, the day and the md5 of the whole row's text as inserted (a rollback deletes it only
-- while it still matches; the row's text costs a third of its jsonb). All of it was kept from the
-- insert's RETURNING, so the SIS table is not read again.
INSERT INTO {pipeline_schema}.lineage (
    dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id,
    studentid, att_date, row_md5
)
SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance', n.attendance_id,
    n.attendance_id, n.parent_attendanceid, n.studentid, n.att_date, n.row_md5
FROM pg_temp.bridge_inserted AS n
ORDER BY n.attendance_id
