-- X7, F6: what the rollback function recorded of a run it rolled back (run_log.rollback_counts):
-- the rows it deleted per table and, for a run that followed copies or whose copies were followed,
-- the recodes undone, the withdrawn copies and attendance times restored, and what needed nothing.
SELECT r.rollback_counts
FROM {pipeline_schema}.run_log AS r
WHERE r.dag_id = %(dag_id)s AND r.run_id = %(run_id)s
