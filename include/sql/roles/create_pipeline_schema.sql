-- The pipeline's schema (run log, lineage, backups), owned by its owner role.
CREATE SCHEMA IF NOT EXISTS {pipeline_schema} AUTHORIZATION {owner}
