-- A retried backup task replaces the run's earlier manifest.
DELETE FROM {pipeline_schema}.backup WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
