-- The SIS schema as the bridge needs it, from the catalog alone (no SIS table is read, nothing is
-- locked): one row per problem, none when there is none, in this order:
--   'schema': the schema does not exist (and nothing else is said);
--   'table':  a table the bridge reads or adds to is not in it (in the order of %(tables)s);
--   'column': a column of a table the load adds records to (%(written)s) that every new row must
--             fill (NOT NULL, or of a NOT NULL domain) and that nothing fills: no default of its
--             own or of its domain, not an identity or generated column, not one of the columns the
--             load's inserts name (%(filled_tables)s, %(filled_columns)s, pairwise). A table with a
--             row-level BEFORE INSERT trigger is left out of these: the trigger may fill them.
WITH sis AS (
    SELECT n.oid FROM pg_namespace AS n WHERE n.nspname = %(schema)s
)
SELECT 'schema' AS problem, NULL::text AS table_name, NULL::text AS column_name,
    1 AS problem_order, 0 AS table_order, 0 AS column_order
WHERE NOT EXISTS (SELECT 1 FROM sis)
UNION ALL
SELECT 'table', t.name, NULL, 2, t.position::integer, 0
FROM sis, unnest(%(tables)s::text[]) WITH ORDINALITY AS t (name, position)
WHERE NOT EXISTS (
    SELECT 1 FROM pg_class AS c
    WHERE c.relnamespace = sis.oid AND c.relname = t.name AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
)
UNION ALL
SELECT 'column', c.relname::text, a.attname::text, 3, array_position(%(tables)s::text[], c.relname::text), a.attnum
FROM sis
JOIN pg_class AS c ON c.relnamespace = sis.oid AND c.relkind IN ('r', 'p') AND c.relname = ANY(%(written)s::text[])
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type AS d ON d.oid = a.atttypid AND d.typtype = 'd'
WHERE (a.attnotnull OR coalesce(d.typnotnull, false))
  AND NOT a.atthasdef
  AND d.typdefaultbin IS NULL
  AND a.attidentity = ''
  AND a.attgenerated = ''
  AND (c.relname::text, a.attname::text) NOT IN (
      SELECT f.table_name, f.column_name
      FROM unnest(%(filled_tables)s::text[], %(filled_columns)s::text[]) AS f (table_name, column_name)
  )
  AND NOT EXISTS (
      -- tgtype: 1 row-level, 2 before, 4 insert.
      SELECT 1 FROM pg_trigger AS g
      WHERE g.tgrelid = c.oid AND NOT g.tgisinternal AND g.tgenabled <> 'D' AND (g.tgtype & 7) = 7
  )
ORDER BY problem_order, table_order, column_order
