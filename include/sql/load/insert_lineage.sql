-- X7: one lineage row per attendance row this load inserted, naming its source record, with the
-- student, the day and the md5 of the whole row's text as inserted (a rollback deletes it only
-- while it still matches; the row's text costs a third of its jsonb). The constant bounds and the
-- new ids' bounds keep the join to the rows this transaction inserted under its table lock, so
-- they are all there, unchanged.
INSERT INTO {pipeline_schema}.lineage (
    dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id,
    studentid, att_date, row_md5
)
SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance', n.attendance_id,
    n.attendance_id, n.parent_attendanceid, n.studentid, n.att_date, md5(a::text)
FROM pg_temp.bridge_inserted AS n
JOIN {sis_schema}.attendance AS a
  ON a.id = n.attendance_id
 AND a.studentid = n.studentid
 AND a.schoolid = %(school_number)s
 AND a.att_date BETWEEN %(first_date)s AND %(last_date)s
 AND a.id BETWEEN (SELECT min(attendance_id) FROM pg_temp.bridge_inserted)
              AND (SELECT max(attendance_id) FROM pg_temp.bridge_inserted)
ORDER BY n.attendance_id
