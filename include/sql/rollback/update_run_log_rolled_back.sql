-- X7: the sync run's row says it was rolled back: when, by whom, by which rollback run, and how
-- many rows were deleted. Its own counts (what it inserted) stay as they were.
UPDATE {pipeline_schema}.run_log
SET status = 'rolled_back',
    rolled_back_at = now(),
    rolled_back_by = %(rolled_back_by)s,
    rollback_run_id = %(rollback_run_id)s,
    rollback_counts = %(rollback_counts)s
WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
RETURNING rolled_back_at
