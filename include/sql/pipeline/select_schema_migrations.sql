-- The migrations already applied, with the checksum of the text that was applied.
SELECT name, checksum FROM {schema}.schema_migrations ORDER BY name
