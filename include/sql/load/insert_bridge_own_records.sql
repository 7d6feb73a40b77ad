-- X2, X7: the records of this load that already exist because this same run inserted them earlier
-- (read before this load inserts anything, so its own new rows are not among them).
INSERT INTO pg_temp.bridge_own_records (row_number)
SELECT t.row_number
FROM pg_temp.bridge_records AS t
WHERE EXISTS (
    SELECT 1
    FROM {pipeline_schema}.lineage AS l
    JOIN {sis_schema}.attendance AS a ON a.id = l.row_id
    WHERE l.dag_id = %(dag_id)s
      AND l.run_id = %(run_id)s
      AND l.table_name = 'attendance'
      AND l.rolled_back_at IS NULL
      AND a.schoolid = %(school_number)s
      AND a.att_date BETWEEN %(first_date)s AND %(last_date)s
      AND a.studentid = t.studentid
      AND a.att_date = t.att_date
      AND a.att_mode_code = t.att_mode_code
      AND (t.att_mode_code = %(mode_daily)s OR (a.ccid = t.ccid AND a.periodid = t.periodid))
)
