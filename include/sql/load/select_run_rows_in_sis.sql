-- X7: the run's rows already in the SIS (its lineage, not rolled back) before this load: rows an
-- earlier try of the same run inserted and committed (a retry after a lost connection), or an
-- earlier run with the same id (a cleared and rerun end-of-term day).
SELECT
    count(*) FILTER (WHERE table_name = 'attendance') AS attendance_rows,
    count(*) FILTER (WHERE table_name = 'attendance_time') AS attendance_time_rows
FROM {pipeline_schema}.lineage
WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s AND rolled_back_at IS NULL
