-- The report's table of a run's records is a courtesy: it may not hold the run's report and run log
-- open for longer than this (transaction-local; set_config, since SET takes no bound parameter).
SELECT set_config('statement_timeout', %(timeout)s, true)
