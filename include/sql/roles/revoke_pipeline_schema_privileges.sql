-- Start from nothing on the pipeline schema and the migrations' objects, so that running the
-- setup again also takes away what an earlier version granted (CREATE on the schema, INSERT on the
-- lineage, DELETE on the backups, the sequences).
REVOKE ALL ON SCHEMA {pipeline_schema} FROM {role};
REVOKE ALL ON
    {pipeline_schema}.schema_migrations, {pipeline_schema}.run_log, {pipeline_schema}.lineage,
    {pipeline_schema}.load_log, {pipeline_schema}.backup, {pipeline_schema}.backup_attendance,
    {pipeline_schema}.backup_attendance_time
FROM {role};
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {pipeline_schema} FROM {role};
REVOKE ALL ON ALL SEQUENCES IN SCHEMA {pipeline_schema} FROM {role}
