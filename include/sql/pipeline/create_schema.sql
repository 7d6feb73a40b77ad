-- The pipeline's own schema in the SIS database: run log, lineage and backups.
CREATE SCHEMA IF NOT EXISTS {schema}
