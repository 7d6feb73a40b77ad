-- X7: the sync run to undo (of any DAG that loads records) as the run log has it, with the rows
-- its lineage says are still in the SIS (not rolled back, not withdrawn by a later run) and the
-- schema they are in, and how many changes it made to earlier runs' copies are not undone (F6).
SELECT
    r.dag_id, r.run_id, r.school_number, r.status, r.dry_run, r.message, r.started_at, r.finished_at,
    r.rolled_back_at, r.rolled_back_by, r.rollback_run_id, r.rollback_counts,
    coalesce(l.sis_schemas, ARRAY[]::text[]) AS sis_schemas,
    coalesce(l.attendance_rows, 0) AS attendance_rows,
    coalesce(l.attendance_time_rows, 0) AS attendance_time_rows,
    coalesce(l.rows_without_hash, 0) AS rows_without_hash,
    coalesce(l.rows_without_transaction, 0) AS rows_without_transaction,
    l.loaded_at,
    (
        SELECT count(*) FROM {pipeline_schema}.followed AS f
        WHERE f.dag_id = r.dag_id AND f.run_id = r.run_id AND f.undone_at IS NULL
    ) AS followed,
    (
        SELECT array_agg(DISTINCT f.sis_schema) FROM {pipeline_schema}.followed AS f
        WHERE f.dag_id = r.dag_id AND f.run_id = r.run_id AND f.undone_at IS NULL
    ) AS followed_sis_schemas
FROM {pipeline_schema}.run_log AS r
LEFT JOIN LATERAL (
    SELECT
        array_agg(DISTINCT x.sis_schema) AS sis_schemas,
        count(*) FILTER (WHERE x.table_name = 'attendance') AS attendance_rows,
        count(*) FILTER (WHERE x.table_name = 'attendance_time') AS attendance_time_rows,
        count(*) FILTER (WHERE x.row_md5 IS NULL) AS rows_without_hash,
        count(*) FILTER (WHERE x.insert_xid IS NULL) AS rows_without_transaction,
        max(x.inserted_at) AS loaded_at
    FROM {pipeline_schema}.lineage AS x
    WHERE x.dag_id = r.dag_id AND x.run_id = r.run_id AND x.rolled_back_at IS NULL AND x.withdrawn_at IS NULL
) AS l ON true
WHERE r.dag_id = ANY(%(dag_ids)s) AND r.run_id = %(run_id)s
