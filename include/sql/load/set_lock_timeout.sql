-- How long a statement of the load waits for a lock before it gives up: the load's wait for writers
-- already in progress (teachers' open transactions; a lock timeout is a transient error Airflow
-- retries, and while it waits new writers queue behind it), and the ANALYZE after its commit (given
-- up, autovacuum refreshes the statistics later).
SELECT set_config('lock_timeout', %(lock_timeout)s, true)
