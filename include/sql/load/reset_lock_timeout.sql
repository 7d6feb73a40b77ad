-- Once the table lock is held, the rest of the load waits for nothing else.
SELECT set_config('lock_timeout', '0', true)
