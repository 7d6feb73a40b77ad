-- The pipeline role in its schema: read what migrations applied; open and close its run log rows;
-- append lineage and load log rows, never change or remove them (X7: a trigger also refuses a
-- lineage row its transaction did not earn); keep backup manifests (a retried backup replaces its
-- own, so DELETE there) and make its snapshot tables (CREATE on the schema: it owns what it makes);
-- lock the SIS tables for its inserts, and undo a run, through the owner's functions only.
GRANT USAGE, CREATE ON SCHEMA {pipeline_schema} TO {role};
GRANT SELECT ON {pipeline_schema}.schema_migrations TO {role};
GRANT SELECT, INSERT, UPDATE ON {pipeline_schema}.run_log TO {role};
GRANT SELECT, INSERT ON {pipeline_schema}.lineage, {pipeline_schema}.load_log TO {role};
GRANT SELECT, INSERT, DELETE ON
    {pipeline_schema}.backup, {pipeline_schema}.backup_attendance, {pipeline_schema}.backup_attendance_time
TO {role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA {pipeline_schema} TO {role};
GRANT EXECUTE ON FUNCTION
    {pipeline_schema}.lock_sis_tables(text, boolean),
    {pipeline_schema}.roll_back_run_rows(text, text, text, boolean)
TO {role}
