-- The sequences behind the id columns of attendance and attendance_time (identity or serial).
SELECT n.nspname AS sequence_schema, c.relname AS sequence_name
FROM information_schema.columns AS col
CROSS JOIN LATERAL pg_catalog.pg_get_serial_sequence(format('%%I.%%I', col.table_schema, col.table_name), col.column_name)
    AS s(qualified)
JOIN pg_catalog.pg_class AS c ON c.oid = s.qualified::regclass
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE col.table_schema = %(sis_schema)s AND col.table_name IN ('attendance', 'attendance_time')
  AND s.qualified IS NOT NULL
