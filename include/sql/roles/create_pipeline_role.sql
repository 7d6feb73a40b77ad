-- The attendance bridge pipeline's database role, with the least privilege it needs (docs/safety.md).
--
-- For a database administrator (a superuser, or a role that owns the SIS tables and may create
-- roles), in the SIS database. Idempotent: run it again after a SIS upgrade or a new version of
-- this file, and the role has exactly these privileges again. The names are psql variables:
--
--   psql "host=... dbname=sis user=dba" -v ON_ERROR_STOP=1 \
--        -v role=attendance_bridge_pipeline -v sis_schema=public -v pipeline_schema=attendance_bridge \
--        -f include/sql/roles/create_pipeline_role.sql
--
-- The role can: read the thirteen SIS tables the sync reads, and of students only the columns id
-- and student_number (for the report; not sections or any other table); insert into attendance and attendance_time and draw their ids; delete from those two
-- (only the rollback deletes, X7; DELETE is also what lets the load take its SHARE ROW EXCLUSIVE
-- lock on attendance, which PostgreSQL grants only with UPDATE, DELETE or TRUNCATE); create
-- temporary tables (the load's); and own the pipeline's schema (run log, lineage, backups), so its
-- migrations can create tables there. It cannot update any SIS row, create or drop anything in the
-- SIS schema, or create schemas. It cannot log in: see create_pipeline_login.sql.
-- Privileges granted to PUBLIC still apply to every role; on PostgreSQL 14 and older PUBLIC may
-- create tables in schema public, which a district should revoke anyway.

\set ON_ERROR_STOP on
BEGIN;

SELECT format('CREATE ROLE %I NOLOGIN', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :'role')
\gexec
COMMENT ON ROLE :"role" IS
    'attendance-bridge pipeline: reads the SIS, inserts attendance; DELETE is for the rollback (the code limits it to a run''s own rows) and the load''s lock';

-- Start from nothing in this database, so a second run of the script also takes away what a
-- previous version granted.
REVOKE ALL ON DATABASE :"DBNAME" FROM :"role";
REVOKE ALL ON SCHEMA :"sis_schema" FROM :"role";
REVOKE ALL ON ALL TABLES IN SCHEMA :"sis_schema" FROM :"role";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA :"sis_schema" FROM :"role";

GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO :"role";
GRANT USAGE ON SCHEMA :"sis_schema" TO :"role";
GRANT SELECT ON
    :"sis_schema".schools, :"sis_schema".terms, :"sis_schema".prefs, :"sis_schema".attendance_code,
    :"sis_schema".period, :"sis_schema".cycle_day, :"sis_schema".bell_schedule,
    :"sis_schema".bell_schedule_items, :"sis_schema".calendar_day, :"sis_schema".section_meeting,
    :"sis_schema".cc, :"sis_schema".attendance, :"sis_schema".attendance_time
TO :"role";
GRANT INSERT, DELETE ON :"sis_schema".attendance, :"sis_schema".attendance_time TO :"role";
-- Of students, only the id and the school's student number (the report shows students by number);
-- a column privilege, so names and every other column stay unreadable. The REVOKE ALL ON ALL
-- TABLES above also takes back column privileges, so a second run leaves exactly these two.
GRANT SELECT (id, student_number) ON :"sis_schema".students TO :"role";

-- The sequences behind the id columns (identity or serial): nextval for the inserts, no setval.
SELECT format('GRANT USAGE ON SEQUENCE %s TO %I', sequence_name, :'role')
FROM (
    SELECT pg_catalog.pg_get_serial_sequence(format('%I.%I', c.table_schema, c.table_name), c.column_name)
        AS sequence_name
    FROM information_schema.columns AS c
    WHERE c.table_schema = :'sis_schema' AND c.table_name IN ('attendance', 'attendance_time')
) AS sequences
WHERE sequence_name IS NOT NULL
\gexec

-- The pipeline's own schema belongs to the role; tables a pipeline created there before it ran
-- as this role (as the SIS owner, say) become the role's too.
SELECT format('CREATE SCHEMA %I AUTHORIZATION %I', :'pipeline_schema', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = :'pipeline_schema')
\gexec
ALTER SCHEMA :"pipeline_schema" OWNER TO :"role";
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'role')
FROM pg_catalog.pg_tables
WHERE schemaname = :'pipeline_schema' AND tableowner <> :'role'
\gexec

COMMIT;
