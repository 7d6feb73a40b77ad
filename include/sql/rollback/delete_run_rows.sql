-- X7: the run's rows deleted by the pipeline schema's own function (migration 0007), which checks
-- every one again under the tables' locks and deletes exactly them or nothing, marking their
-- lineage rows; the pipeline's login has no DELETE on the SIS tables and no UPDATE on the lineage.
SELECT deleted_attendance, deleted_attendance_time
FROM {pipeline_schema}.roll_back_run_rows(%(dag_id)s, %(run_id)s, %(rollback_run_id)s, %(allow_rows_from_older_versions)s)
