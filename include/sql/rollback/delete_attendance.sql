-- X7: delete the run's attendance rows that are still exactly as it inserted them (after their
-- attendance_time rows), and mark their lineage rows with the rollback and the row as it was
-- deleted (kept for the auditor). Returns both counts; the caller undoes everything unless they
-- agree with the check.
WITH deleted AS (
    DELETE FROM {sis_schema}.attendance AS a
    USING {pipeline_schema}.lineage AS l
    WHERE l.dag_id = %(dag_id)s
      AND l.run_id = %(run_id)s
      AND l.table_name = 'attendance'
      AND l.rolled_back_at IS NULL
      AND a.id = l.row_id
      AND CASE
              WHEN l.row_md5 IS NULL
                  THEN a.schoolid = l.school_number AND a.parent_attendanceid = l.source_attendance_id
              ELSE md5(a::text) = l.row_md5
          END
    RETURNING a.id, to_jsonb(a.*) AS removed_row
),
marked AS (
    UPDATE {pipeline_schema}.lineage AS l
    SET rolled_back_at = now(), rollback_run_id = %(rollback_run_id)s, removed_row = d.removed_row
    FROM deleted AS d
    WHERE l.dag_id = %(dag_id)s
      AND l.run_id = %(run_id)s
      AND l.table_name = 'attendance'
      AND l.rolled_back_at IS NULL
      AND l.row_id = d.id
    RETURNING l.row_id
)
SELECT (SELECT count(*) FROM deleted) AS deleted, (SELECT count(*) FROM marked) AS marked
