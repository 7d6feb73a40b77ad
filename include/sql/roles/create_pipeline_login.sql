-- A user the pipeline logs in as: a member of the pipeline's role (create_pipeline_role.sql) that
-- acts as that role from the start of every session, so what the pipeline's migrations create
-- belongs to the role and a later user (credentials rotated) can carry on. Idempotent.
--
--   psql "host=... dbname=sis user=dba" -v ON_ERROR_STOP=1 \
--        -v role=attendance_bridge_pipeline -v login=attendance_bridge_airflow \
--        -f include/sql/roles/create_pipeline_login.sql
--
-- No password here, ever: set it interactively (psql: \password attendance_bridge_airflow) or
-- use the server's certificate or IAM authentication, then put the credentials in the Airflow
-- connection sis_db (AIRFLOW_CONN_SIS_DB or a secrets backend), never in this repository.

\set ON_ERROR_STOP on
BEGIN;

SELECT format('CREATE ROLE %I LOGIN', :'login')
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :'login')
\gexec
GRANT :"role" TO :"login";
ALTER ROLE :"login" SET role = :'role';

COMMIT;
