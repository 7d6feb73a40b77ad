-- A school's runs, newest first.
SELECT * FROM {schema}.run_log WHERE school_number = %(school_number)s ORDER BY started_at DESC, run_id DESC
