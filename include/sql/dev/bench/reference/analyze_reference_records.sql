-- Temporary tables are never auto-analysed; without statistics the anti-join plans for a few rows.
ANALYZE pg_temp.reference_records
