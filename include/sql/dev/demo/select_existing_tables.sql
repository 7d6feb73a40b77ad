SELECT table_name
FROM information_schema.tables
WHERE table_schema = %(schema)s
  AND table_name = ANY(%(tables)s)
ORDER BY table_name
