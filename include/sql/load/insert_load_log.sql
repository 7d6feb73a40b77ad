-- X4: the load's own record of what it did, in its transaction: committed with its rows or not at all,
-- with the SIS tables' columns as they are now (the lineage's row fingerprints are over them).
INSERT INTO {pipeline_schema}.load_log (dag_id, run_id, school_number, sis_schema, counts, sis_columns)
SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, %(counts)s, jsonb_object_agg(c.table_name, c.columns)
FROM (
    SELECT t.table_name, jsonb_agg(a.attname ORDER BY a.attnum) AS columns
    FROM (VALUES ('attendance'), ('attendance_time')) AS t (table_name)
    JOIN pg_catalog.pg_attribute AS a
      ON a.attrelid = format('%%I.%%I', %(sis_schema_name)s::text, t.table_name)::regclass
     AND a.attnum > 0 AND NOT a.attisdropped
    GROUP BY t.table_name
) AS c
RETURNING loaded_at
