-- The outcome of the one sync run in a benchmark case's new pipeline schema: its status (still
-- 'running' when its report never closed it) and the records it inserted.
SELECT status, (counts ->> 'inserted')::int AS inserted
FROM {schema}.run_log
ORDER BY started_at DESC
LIMIT 1
