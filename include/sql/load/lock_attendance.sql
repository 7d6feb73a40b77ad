-- X4, X5: no other session inserts, updates or deletes attendance rows from here to the
-- commit, so the existence check below sees every record committed before it and no record
-- can be added beside it unseen (the table has no unique constraint to stop a duplicate).
-- Readers are not blocked. Writers (teachers taking attendance) wait at most for the load.
LOCK TABLE {sis_schema}.attendance IN SHARE ROW EXCLUSIVE MODE
