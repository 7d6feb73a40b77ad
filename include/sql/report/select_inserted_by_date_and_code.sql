-- What a run inserted into attendance, per day, mode and code (SPEC section 6), via its lineage.
SELECT a.att_date, a.att_mode_code, a.attendance_codeid, c.att_code, c.description, count(*) AS records
FROM {pipeline_schema}.lineage AS l
JOIN {sis_schema}.attendance AS a
  ON a.id = l.row_id
 AND a.schoolid = %(school_number)s
 AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
LEFT JOIN {sis_schema}.attendance_code AS c ON c.id = a.attendance_codeid
WHERE l.dag_id = %(dag_id)s
  AND l.run_id = %(run_id)s
  AND l.table_name = 'attendance'
GROUP BY a.att_date, a.att_mode_code, a.attendance_codeid, c.att_code, c.description
ORDER BY a.att_date, a.att_mode_code, c.att_code NULLS FIRST
