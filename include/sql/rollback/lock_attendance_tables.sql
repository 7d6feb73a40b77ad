-- X7: from here to the commit no other session inserts, updates or deletes attendance or
-- attendance_time rows, so no row of the run can change, and no row can start referring to one,
-- between the check and the delete. Readers are not blocked; teachers' writes wait for the rollback.
LOCK TABLE {sis_schema}.attendance, {sis_schema}.attendance_time IN SHARE ROW EXCLUSIVE MODE
