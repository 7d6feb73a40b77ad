-- F1, F2: the school's copies whose day lies in the range: the attendance records a run built (an
-- attendance lineage row neither rolled back nor withdrawn), each with its row as it is now in
-- the SIS, whether that row is still as the pipeline last wrote it (its md5: a person's edit or
-- delete shows here), and the parameters of the run that built it, which judge it (F1). Rows
-- loaded before migration 0004 carry no md5 and are never followed.
SELECT
    l.row_id AS attendance_id,
    l.source_attendance_id,
    coalesce(a.studentid, l.studentid) AS studentid,
    coalesce(a.att_date, l.att_date) AS att_date,
    a.att_mode_code,
    a.ccid,
    a.periodid,
    a.attendance_codeid,
    a.id IS NOT NULL AS present,
    a.id IS NOT NULL AND md5(a::text) IS DISTINCT FROM l.row_md5 AS edited,
    r.direction,
    r.absent_periods,
    l.dag_id,
    l.run_id
FROM {pipeline_schema}.lineage AS l
JOIN {pipeline_schema}.run_log AS r ON r.dag_id = l.dag_id AND r.run_id = l.run_id
LEFT JOIN {sis_schema}.attendance AS a ON a.id = l.row_id
WHERE l.school_number = %(school_number)s
  AND l.sis_schema = %(sis_schema_name)s
  AND l.table_name = 'attendance'
  AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
  AND l.row_md5 IS NOT NULL
  AND l.att_date BETWEEN %(start_date)s AND %(end_date)s
ORDER BY l.row_id
