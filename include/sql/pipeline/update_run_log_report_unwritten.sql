-- A run whose report could not be written: the run log keeps no path to a report that does not
-- exist, and says why in its message (its status, what landed, stays as it is).
UPDATE {schema}.run_log
SET report_path = NULL, message = %(message)s, finished_at = now()
WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
