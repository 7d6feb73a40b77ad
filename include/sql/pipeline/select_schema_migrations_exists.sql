-- Whether the schema already has its migrations table (read before any DDL is tried).
SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = %(schema)s AND tablename = 'schema_migrations'
)
