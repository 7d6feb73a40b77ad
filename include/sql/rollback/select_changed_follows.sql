-- F6: the run's changes to earlier runs' copies that its rollback cannot undo as they are: a copy it recoded
-- that is no longer as it left it (a person or a later run changed it since), or a copy it withdrew whose id a
-- row holds again. Changes to copies whose building run was rolled back since need nothing and are not listed.
-- At most "limit" rows, each with the total. roll_back_run_rows (undo_run_follows) checks the same.
WITH changes AS (
    SELECT f.attendance_id, f.studentid, f.att_date, f.action, f.row_md5_after, f.new_attendance_codeid
    FROM {pipeline_schema}.followed AS f
    JOIN {pipeline_schema}.lineage AS l
      ON l.table_name = 'attendance' AND l.row_id = f.attendance_id AND l.sis_schema = f.sis_schema
     AND l.dag_id = f.built_dag_id AND l.run_id = f.built_run_id
    WHERE f.dag_id = %(dag_id)s AND f.run_id = %(run_id)s AND f.undone_at IS NULL AND l.rolled_back_at IS NULL
),
compared AS (
    SELECT c.attendance_id, c.studentid, c.att_date, c.action, count(a.id) AS rows_now,
        bool_or(md5(a::text) IS DISTINCT FROM c.row_md5_after) AS changed,
        (array_agg(jsonb_build_object(
            'studentid', a.studentid, 'att_date', a.att_date, 'attendance_codeid', a.attendance_codeid,
            'recoded_to', c.new_attendance_codeid
        ) ORDER BY a.dcid) FILTER (WHERE a.id IS NOT NULL))[1] AS now
    FROM changes AS c
    LEFT JOIN {sis_schema}.attendance AS a ON a.id = c.attendance_id
    GROUP BY c.attendance_id, c.studentid, c.att_date, c.action
)
SELECT
    'attendance' AS table_name,
    c.attendance_id AS row_id,
    c.studentid,
    c.att_date,
    CASE WHEN c.action = 'recode' THEN 'changed_since_recoded' ELSE 'withdrawn_id_taken' END AS problem,
    c.rows_now,
    c.now,
    NULL::bigint AS other_id,
    count(*) OVER () AS problems_total
FROM compared AS c
WHERE (c.action = 'recode' AND (c.rows_now <> 1 OR c.changed)) OR (c.action = 'withdraw' AND c.rows_now > 0)
ORDER BY c.attendance_id
LIMIT %(limit)s
