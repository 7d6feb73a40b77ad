-- Temporary tables are never auto-analysed; the join below is planned on the rows' real number.
ANALYZE pg_temp.report_inserted
