-- ANALYZE waits for no one for long: another school's load holding attendance against writers, or
-- an administrator's VACUUM, would otherwise keep a committed load's task waiting; autovacuum
-- refreshes the statistics later instead.
SELECT set_config('lock_timeout', %(lock_timeout)s, true)
