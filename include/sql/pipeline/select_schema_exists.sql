-- Whether the pipeline's schema exists: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege
-- on the database even when it does, and the pipeline's role owns its schema without that.
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %(schema)s)
