-- The number of a new snapshot, which names its tables (the manifest row is written once it is verified).
SELECT nextval(pg_get_serial_sequence(format('%%I.backup', %(pipeline_schema_name)s::text), 'backup_id')) AS backup_id
