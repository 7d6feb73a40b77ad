-- Of the tables a load just added rows to, those whose planner statistics autovacuum would refresh
-- next (the rows added exceed its analyse threshold for the table as last analysed, or the table was
-- never analysed) and that this login may analyse: it owns them, directly or through its owner's
-- role (a superuser owns everything). The rows added come from the caller, because the statistics
-- collector may not have counted this session's inserts yet.
SELECT t.schema_name, t.table_name
FROM unnest(%(schema_names)s::text[], %(table_names)s::text[], %(rows_added)s::bigint[])
    AS t (schema_name, table_name, rows_added)
JOIN pg_namespace AS n ON n.nspname = t.schema_name
JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = t.table_name AND c.relkind IN ('r', 'p')
WHERE pg_has_role(c.relowner, 'USAGE')
  AND (
    c.reltuples < 0
    OR t.rows_added > current_setting('autovacuum_analyze_threshold')::float8
        + current_setting('autovacuum_analyze_scale_factor')::float8 * c.reltuples
  )
ORDER BY t.schema_name, t.table_name
