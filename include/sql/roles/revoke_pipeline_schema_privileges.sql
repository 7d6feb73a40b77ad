-- Start from nothing on the pipeline schema and the migrations' objects (the pipeline's own
-- snapshot tables are left alone: it owns them).
REVOKE ALL ON SCHEMA {pipeline_schema} FROM {role};
REVOKE ALL ON
    {pipeline_schema}.schema_migrations, {pipeline_schema}.run_log, {pipeline_schema}.lineage,
    {pipeline_schema}.load_log, {pipeline_schema}.backup, {pipeline_schema}.backup_attendance,
    {pipeline_schema}.backup_attendance_time
FROM {role};
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {pipeline_schema} FROM {role}
