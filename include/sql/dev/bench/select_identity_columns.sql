-- The identity columns of a schema's tables: after rows were copied with their ids, each must
-- continue past them.
SELECT table_name, column_name
FROM information_schema.columns
WHERE table_schema = %(schema)s
  AND is_identity = 'YES'
ORDER BY table_name, column_name
