-- X7: from here to the commit no other session inserts, updates or deletes attendance or
-- attendance_time rows, so no row of the run can change, and no row can start referring to one,
-- between the check and the delete. Readers are not blocked; teachers' writes wait for the rollback.
-- Through the pipeline schema's function (migration 0007): the pipeline's login has no privilege
-- that LOCK in this mode needs.
SELECT {pipeline_schema}.lock_sis_tables(%(sis_schema_name)s, true)
