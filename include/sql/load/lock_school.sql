-- X5: one load per school at a time; other schools use other keys. Released at commit or rollback.
SELECT pg_advisory_xact_lock(%(lock_class)s, %(school_number)s)
