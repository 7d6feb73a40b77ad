-- Whether the pipeline's schema has its lineage table yet (a run's first task creates it; a caller
-- outside a run, such as a test or a benchmark on a fresh SIS copy, may read before any run).
SELECT to_regclass(format('%%I.lineage', %(pipeline_schema)s::text)) IS NOT NULL AS has_lineage
