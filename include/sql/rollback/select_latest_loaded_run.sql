-- X7: the school's sync run (of any DAG that loads records) whose rows were loaded last and are still in the SIS (the default
-- run to undo). A run that inserted nothing, a dry run and a rolled-back run have no such rows.
SELECT r.run_id
FROM {pipeline_schema}.run_log AS r
CROSS JOIN LATERAL (
    SELECT x.inserted_at
    FROM {pipeline_schema}.lineage AS x
    WHERE x.dag_id = r.dag_id AND x.run_id = r.run_id AND x.rolled_back_at IS NULL AND x.withdrawn_at IS NULL
    LIMIT 1
) AS loaded
WHERE r.dag_id = ANY(%(dag_ids)s)
  AND r.school_number = %(school_number)s
  AND r.status <> 'rolled_back'
ORDER BY loaded.inserted_at DESC, r.started_at DESC, r.run_id DESC
LIMIT 1
