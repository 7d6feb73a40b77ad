-- X2, X7: how many of this load's records (their sources unchanged) already exist because this
-- same run inserted them earlier: they are the run's own rows, not records that "already existed".
SELECT count(*) AS records
FROM pg_temp.bridge_records AS t
WHERE NOT EXISTS (SELECT 1 FROM pg_temp.bridge_stale_sources AS x WHERE x.id = t.parent_attendanceid)
  AND EXISTS (
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
