-- X7: the run's rows deleted by the pipeline schema's own function (migrations 0007, 0008), which
-- checks every one again under the tables' locks, deletes exactly them or nothing, marks their
-- lineage rows, and marks the sync run rolled back in run_log (when, by whom, by which rollback
-- run, what it deleted) in the same transaction; the pipeline's login has no DELETE on the SIS
-- tables, no write on the lineage, and cannot set a rollback mark itself.
SELECT deleted_attendance, deleted_attendance_time, rolled_back_at
FROM {pipeline_schema}.roll_back_run_rows(
    %(dag_id)s, %(run_id)s, %(rollback_run_id)s, %(allow_rows_from_older_versions)s, %(rolled_back_by)s
)
