-- One migrator per pipeline schema at a time; released when the transaction ends.
SELECT pg_advisory_xact_lock(%(lock_class)s, hashtext(%(schema)s))
