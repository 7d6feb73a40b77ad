-- X6: the run's snapshot of the school's attendance in the range, taken, checked and recorded by
-- the pipeline schema's function (migration 0008), in this REPEATABLE READ transaction: both
-- sides' counts and checksums come back; the manifest is written only when they agree.
SELECT backup_id, attendance_table, attendance_time_table, source, copied, taken_at, verified_at
FROM {pipeline_schema}.take_backup(
    %(sis_schema)s, %(dag_id)s, %(run_id)s, %(school_number)s, %(start_date)s, %(end_date)s
)
