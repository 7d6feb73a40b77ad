-- After rows were copied with explicit ids, make the identity continue past them.
SELECT setval(pg_get_serial_sequence(%(table)s, %(column)s), %(last_value)s)
