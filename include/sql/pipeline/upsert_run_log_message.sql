-- Keep why a phase stopped, for the report; a run without a row yet gets one.
INSERT INTO {schema}.run_log AS r (dag_id, run_id, message)
VALUES (%(dag_id)s, %(run_id)s, %(message)s)
ON CONFLICT (dag_id, run_id) DO UPDATE SET message = excluded.message
