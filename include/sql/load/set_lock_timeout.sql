-- How long the load waits for writers already in progress (teachers' open transactions) before
-- it gives up, as a transient error Airflow retries: while it waits, new writers queue behind it.
SELECT set_config('lock_timeout', %(lock_timeout)s, true)
