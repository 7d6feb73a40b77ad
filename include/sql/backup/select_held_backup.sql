-- X6: what the run's snapshot tables hold now (counts and checksum), read by the pipeline
-- schema's function (migration 0008): NULL when its tables are gone.
SELECT {pipeline_schema}.held_backup(%(dag_id)s, %(run_id)s) AS held
