-- The owner of the pipeline schema in the SIS: what its functions need and nothing more. The
-- load function inserts a run's rows into the two tables (their id sequences are granted one by
-- one: grant_sequence), staging them in temporary tables of its own; the backup function reads
-- them; the rollback function deletes a run's own rows; the lock function's SHARE ROW EXCLUSIVE lock needs UPDATE, DELETE or TRUNCATE,
-- and DELETE is the one the rollback needs anyway. The follow function recodes a copy (F3): UPDATE
-- of attendance_codeid alone; no other UPDATE on any SIS table.
GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {owner};
GRANT USAGE ON SCHEMA {sis_schema} TO {owner};
GRANT SELECT, INSERT, DELETE ON {sis_schema}.attendance, {sis_schema}.attendance_time TO {owner};
GRANT UPDATE (attendance_codeid) ON {sis_schema}.attendance TO {owner}
