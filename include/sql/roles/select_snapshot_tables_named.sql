-- Whether the backup manifests name snapshot tables (migration 0005 on): then select_snapshot_tables.
SELECT EXISTS (
    SELECT 1
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = %(pipeline_schema)s AND c.relname = 'backup' AND c.relkind IN ('r', 'p')
      AND a.attname IN ('attendance_table', 'attendance_time_table') AND NOT a.attisdropped
    HAVING count(*) = 2
)
