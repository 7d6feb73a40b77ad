-- X6: the attendance_time rows of the attendance rows of the snapshot, whole rows.
INSERT INTO {pipeline_schema}.backup_attendance_time (dag_id, run_id, attendance_time_id, attendance_id, "row")
SELECT %(dag_id)s, %(run_id)s, t.id, t.attendanceid, to_jsonb(t.*)
FROM {sis_schema}.attendance_time AS t
WHERE t.attendanceid IN (
    SELECT a.id
    FROM {sis_schema}.attendance AS a
    WHERE a.schoolid = %(school_number)s
      AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
)
