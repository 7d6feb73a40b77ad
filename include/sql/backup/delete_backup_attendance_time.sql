-- A retried backup task replaces the run's earlier snapshot.
DELETE FROM {pipeline_schema}.backup_attendance_time WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
