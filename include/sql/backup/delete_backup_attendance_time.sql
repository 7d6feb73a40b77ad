-- A retried backup task replaces the run's earlier snapshot, when one was taken before migration 0005.
DELETE FROM {pipeline_schema}.backup_attendance_time WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
