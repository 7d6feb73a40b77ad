-- F3, F4: the run's recodes and withdrawals of copies, made by the pipeline schema's own function
-- (migration 0009), which changes only copies still as the pipeline last wrote them whose source
-- is as the run judged it, recodes only to the source's code, needs the run's verified backup
-- covering their days, and writes the lineage marks and the followed log itself. The changes
-- arrive as parallel arrays, one element per copy.
SELECT recoded, withdrawn, withdrawn_attendance_time, left_changed
FROM {pipeline_schema}.follow_run_copies(
    %(sis_schema_name)s, %(dag_id)s, %(run_id)s, %(school_number)s,
    ARRAY(
        SELECT ROW(
            c.attendance_id, c.action, c.new_attendance_codeid, c.copy_md5, c.source_md5, c.reason
        )::{pipeline_schema}.copy_change
        FROM unnest(
            %(attendance_ids)s::bigint[], %(actions)s::text[], %(new_attendance_codeids)s::bigint[],
            %(copy_md5s)s::text[], %(source_md5s)s::text[], %(reasons)s::text[]
        ) AS c (attendance_id, action, new_attendance_codeid, copy_md5, source_md5, reason)
    )
)
