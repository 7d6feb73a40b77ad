-- The pipeline role in its schema: read what migrations applied; open and close its run log rows
-- (a trigger keeps the rollback mark to the rollback function); append load log rows, never change
-- or remove them; read the lineage and the backup manifests, never write them. It creates nothing
-- here (no CREATE): its inserts with their lineage, its backups and its rollbacks are the owner's
-- functions' (migration 0008), and so are its recodes and withdrawals of copies (0009), and so is the lock on the SIS tables for its inserts.
GRANT USAGE ON SCHEMA {pipeline_schema} TO {role};
GRANT SELECT ON {pipeline_schema}.schema_migrations TO {role};
GRANT SELECT, INSERT, UPDATE ON {pipeline_schema}.run_log TO {role};
GRANT SELECT ON {pipeline_schema}.lineage, {pipeline_schema}.followed TO {role};
GRANT SELECT, INSERT ON {pipeline_schema}.load_log TO {role};
GRANT SELECT ON
    {pipeline_schema}.backup, {pipeline_schema}.backup_attendance, {pipeline_schema}.backup_attendance_time
TO {role};
GRANT EXECUTE ON FUNCTION
    {pipeline_schema}.lock_sis_tables(text, boolean),
    {pipeline_schema}.insert_run_records(text, text, text, bigint, text, {pipeline_schema}.new_record[]),
    {pipeline_schema}.take_backup(text, text, text, bigint, date, date),
    {pipeline_schema}.held_backup(text, text),
    {pipeline_schema}.roll_back_run_rows(text, text, text, boolean, text),
    {pipeline_schema}.follow_run_copies(text, text, text, bigint, {pipeline_schema}.copy_change[])
TO {role}
