-- Loads of different schools take turns for their inserts only (everything before runs in
-- parallel). They queue here, on an advisory lock teachers never touch, rather than in the
-- attendance table's lock queue, where a waiting load would hold up every teacher behind it.
SELECT pg_advisory_xact_lock(%(lock_class)s, 0)
