-- The pipeline role in the SIS: read the thirteen tables the sync reads, and of students only the
-- id and the school's student number (a column privilege: names and every other column stay
-- unreadable); create temporary tables (the load's). It writes no SIS row itself: the load inserts
-- through insert_run_records, the rollback deletes through roll_back_run_rows, and the load's
-- table lock is taken through lock_sis_tables: all the pipeline schema's functions (0007, 0008).
GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA {sis_schema} TO {role};
GRANT SELECT ON
    {sis_schema}.schools, {sis_schema}.terms, {sis_schema}.prefs, {sis_schema}.attendance_code,
    {sis_schema}.period, {sis_schema}.cycle_day, {sis_schema}.bell_schedule,
    {sis_schema}.bell_schedule_items, {sis_schema}.calendar_day, {sis_schema}.section_meeting,
    {sis_schema}.cc, {sis_schema}.attendance, {sis_schema}.attendance_time
TO {role};
GRANT SELECT (id, student_number) ON {sis_schema}.students TO {role}
