-- X4, X5: no other session inserts, updates or deletes attendance rows from here to the
-- commit, so the existence check below sees every record committed before it, no source record
-- can change before the insert, and no record can be added beside it unseen (the table has no
-- unique constraint to stop a duplicate). Readers are not blocked. Writers (teachers taking
-- attendance) wait at most for the load. Through the pipeline schema's function (migration 0007):
-- the pipeline's login has no privilege that LOCK in this mode needs.
SELECT {pipeline_schema}.lock_sis_tables(%(sis_schema_name)s, false)
