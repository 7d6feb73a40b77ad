-- What a run inserted into attendance, per day, mode and code (SPEC section 6): its lineage's rows
-- (pg_temp.report_inserted, read out of the lineage and analysed) as they are in attendance.
SELECT a.att_date, a.att_mode_code, a.attendance_codeid, c.att_code, c.description, count(*) AS records
FROM pg_temp.report_inserted AS r
JOIN {sis_schema}.attendance AS a
  ON a.id = r.row_id
 AND a.schoolid = %(school_number)s
 AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
LEFT JOIN {sis_schema}.attendance_code AS c ON c.id = a.attendance_codeid
GROUP BY a.att_date, a.att_mode_code, a.attendance_codeid, c.att_code, c.description
ORDER BY a.att_date, a.att_mode_code, c.att_code NULLS FIRST
