-- Whether the run already has lineage rows (not rolled back): almost never, so the load reads
-- what they stand for in the SIS only when they exist.
SELECT EXISTS (
    SELECT 1 FROM {pipeline_schema}.lineage
    WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s AND rolled_back_at IS NULL
) AS has_rows
