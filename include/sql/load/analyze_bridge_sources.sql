-- Temporary tables are never auto-analysed; the comparison below is planned on real counts.
ANALYZE pg_temp.bridge_sources
