-- X6: every attendance row of the school in the range, all modes, whole rows (unknown columns too).
INSERT INTO {pipeline_schema}.backup_attendance (dag_id, run_id, attendance_id, "row")
SELECT %(dag_id)s, %(run_id)s, a.id, to_jsonb(a.*)
FROM {sis_schema}.attendance AS a
WHERE a.schoolid = %(school_number)s
  AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
