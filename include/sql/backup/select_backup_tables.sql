-- The snapshot tables of a run's earlier backup, which a retried backup task drops first.
SELECT attendance_table, attendance_time_table
FROM {pipeline_schema}.backup
WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
  AND attendance_table IS NOT NULL
