-- X7: the run's rows already in the SIS before this load, as its lineage (not rolled back) and the
-- SIS say: rows an earlier try of the same run inserted and committed (a retry after a lost
-- connection), or an earlier run with the same id (a cleared and rerun end-of-term day). A lineage
-- row whose SIS row has gone since (a clerk's delete) is not counted. Only read when the run has
-- lineage rows at all (the caller asks select_run_lineage_rows first): attendance_time may have no
-- index to find rows by id.
SELECT
    (
        SELECT count(*)
        FROM {pipeline_schema}.lineage AS l
        WHERE l.dag_id = %(dag_id)s AND l.run_id = %(run_id)s AND l.table_name = 'attendance'
          AND l.rolled_back_at IS NULL
          AND EXISTS (
            SELECT 1 FROM {sis_schema}.attendance AS a
            WHERE a.schoolid = %(school_number)s AND a.att_date = l.att_date AND a.id = l.row_id
          )
    ) AS attendance_rows,
    (
        SELECT count(*)
        FROM {pipeline_schema}.lineage AS l
        WHERE l.dag_id = %(dag_id)s AND l.run_id = %(run_id)s AND l.table_name = 'attendance_time'
          AND l.rolled_back_at IS NULL
          AND EXISTS (SELECT 1 FROM {sis_schema}.attendance_time AS t WHERE t.id = l.row_id)
    ) AS attendance_time_rows
