-- Record one applied migration.
INSERT INTO {schema}.schema_migrations (name, checksum) VALUES (%(name)s, %(checksum)s)
