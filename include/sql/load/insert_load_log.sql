-- X4: the load's own record of what it did, in its transaction: committed with its rows or not at all.
INSERT INTO {pipeline_schema}.load_log (dag_id, run_id, school_number, sis_schema, counts)
VALUES (%(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, %(counts)s)
RETURNING loaded_at
