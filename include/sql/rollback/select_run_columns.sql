-- X7: per SIS table, the columns it had when the run's loads hashed their rows (load_log: one list,
-- or several when its loads saw different tables; none for loads before migration 0006) and the
-- columns it has now, both in column order.
SELECT
    t.table_name,
    (
        SELECT array_agg(DISTINCT g.sis_columns -> t.table_name)
        FROM {pipeline_schema}.load_log AS g
        WHERE g.dag_id = %(dag_id)s AND g.run_id = %(run_id)s AND g.sis_columns ? t.table_name
    ) AS at_load,
    (
        SELECT array_agg(a.attname::text ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = format('%%I.%%I', %(sis_schema_name)s::text, t.table_name)::regclass
          AND a.attnum > 0 AND NOT a.attisdropped
    ) AS now
FROM (VALUES ('attendance'), ('attendance_time')) AS t (table_name)
