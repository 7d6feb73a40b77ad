-- Says what a snapshot table holds to whoever finds it in the schema.
COMMENT ON TABLE {pipeline_schema}.{table_name} IS {comment}
