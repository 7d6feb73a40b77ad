-- A retried backup task replaces the run's earlier snapshot.
DROP TABLE IF EXISTS {pipeline_schema}.{attendance_table}, {pipeline_schema}.{attendance_time_table}
