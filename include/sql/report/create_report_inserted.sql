-- The ids of the attendance rows a run inserted, as its lineage names them, for the report's count
-- by day and code; indexed and analysed next, so the join to attendance is planned on their real
-- number. Planned on the lineage's statistics from before the load (none, or none of this run), the
-- join expected one row where there were tens of thousands, and a nested loop over the school's
-- attendance ran for minutes (issue 29). One table read here, whatever its statistics.
CREATE TEMPORARY TABLE report_inserted ON COMMIT DROP AS
SELECT l.row_id
FROM {pipeline_schema}.lineage AS l
WHERE l.dag_id = %(dag_id)s
  AND l.run_id = %(run_id)s
  AND l.table_name = 'attendance'
