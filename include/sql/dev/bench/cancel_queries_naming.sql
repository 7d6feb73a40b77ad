-- A killed benchmark run's statements go on in its server processes: cancel those whose text names
-- the run's own pipeline schema (a unique name), so the next case does not share the machine with them.
SELECT count(pg_cancel_backend(a.pid))
FROM pg_stat_activity AS a
WHERE a.pid <> pg_backend_pid()
  AND a.query LIKE %(text)s
