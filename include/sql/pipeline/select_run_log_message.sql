-- Why the run stopped, if a phase said so.
SELECT message FROM {schema}.run_log WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
