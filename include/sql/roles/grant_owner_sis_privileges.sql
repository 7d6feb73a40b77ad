-- The owner of the pipeline schema in the SIS: what its functions need and nothing more. The
-- rollback function deletes a run's own rows from the two tables and reads them; the lock
-- function's SHARE ROW EXCLUSIVE lock needs UPDATE, DELETE or TRUNCATE, and DELETE is the one
-- the rollback needs anyway. It has no INSERT and no UPDATE on any SIS table.
GRANT CONNECT ON DATABASE {database} TO {owner};
GRANT USAGE ON SCHEMA {sis_schema} TO {owner};
GRANT SELECT, DELETE ON {sis_schema}.attendance, {sis_schema}.attendance_time TO {owner}
