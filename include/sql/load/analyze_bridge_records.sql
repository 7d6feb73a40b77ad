-- Temporary tables are never auto-analysed; without statistics the insert below plans for a few rows.
ANALYZE pg_temp.bridge_records
