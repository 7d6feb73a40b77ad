-- The pipeline role in the SIS: read the thirteen tables the sync reads, and of students only the
-- id and the school's student number (a column privilege: names and every other column stay
-- unreadable); insert into attendance and attendance_time (X1: never UPDATE or DELETE); create
-- temporary tables (the load's). The rollback deletes through roll_back_run_rows, the load's table
-- lock is taken through lock_sis_tables: both are the pipeline schema's functions (migration 0007).
GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA {sis_schema} TO {role};
GRANT SELECT ON
    {sis_schema}.schools, {sis_schema}.terms, {sis_schema}.prefs, {sis_schema}.attendance_code,
    {sis_schema}.period, {sis_schema}.cycle_day, {sis_schema}.bell_schedule,
    {sis_schema}.bell_schedule_items, {sis_schema}.calendar_day, {sis_schema}.section_meeting,
    {sis_schema}.cc, {sis_schema}.attendance, {sis_schema}.attendance_time
TO {role};
GRANT INSERT ON {sis_schema}.attendance, {sis_schema}.attendance_time TO {role};
GRANT SELECT (id, student_number) ON {sis_schema}.students TO {role}
