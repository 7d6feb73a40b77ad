-- X9: the school's attendance records of the range that a run of the pipeline built and did not
-- roll back (its lineage, in the pipeline's own schema): copies, which the rules never use as
-- sources. Lineage rows written before migration 0004 have no day; they are read whatever the range.
SELECT DISTINCT l.row_id AS id
FROM {pipeline_schema}.lineage AS l
WHERE l.school_number = %(school_number)s
  AND l.sis_schema = %(sis_schema_name)s
  AND l.table_name = 'attendance'
  AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
  AND (l.att_date BETWEEN %(start_date)s AND %(end_date)s OR l.att_date IS NULL)
ORDER BY l.row_id
