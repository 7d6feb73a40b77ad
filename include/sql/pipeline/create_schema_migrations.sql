-- Which migrations of include/sql/pipeline/migrations/ the schema has, and the text each had.
CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
