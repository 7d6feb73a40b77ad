-- Make an identity column continue after the largest value a copy brought in.
SELECT setval(
    pg_get_serial_sequence(%(qualified_table)s, %(column_name)s),
    (SELECT coalesce(max({column_name}), 0) FROM {schema}.{table_name}) + 1,
    false
)
