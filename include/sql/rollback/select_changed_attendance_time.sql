-- X7: the attendance_time rows a run inserted that are no longer as it inserted them: gone,
-- changed (md5 of the row's text, over the columns the table had at the run's load when it has
-- gained some since) or sharing their id with another row. Rows loaded before row hashes were kept
-- are compared on the record they belong to. At most "limit" rows, each with the total.
-- roll_back_run_rows checks the same.
WITH run_rows AS (
    SELECT l.row_id, l.attendance_id, l.studentid, l.att_date, l.row_md5
    FROM {pipeline_schema}.lineage AS l
    WHERE l.dag_id = %(dag_id)s
      AND l.run_id = %(run_id)s
      AND l.table_name = 'attendance_time'
      AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
),
compared AS (
    SELECT
        r.row_id,
        r.attendance_id,
        r.studentid,
        r.att_date,
        count(t.id) AS rows_now,
        bool_or(
            CASE
                WHEN r.row_md5 IS NULL THEN t.attendanceid IS DISTINCT FROM r.attendance_id
                ELSE md5({attendance_time_row}::text) IS DISTINCT FROM r.row_md5
            END
        ) AS changed,
        (array_agg(jsonb_build_object(
            'attendanceid', t.attendanceid, 'time_in', t.time_in, 'time_out', t.time_out,
            'total_minutes', t.total_minutes
        ) ORDER BY t.dcid) FILTER (WHERE t.id IS NOT NULL))[1] AS now
    FROM run_rows AS r
    LEFT JOIN {sis_schema}.attendance_time AS t ON t.id = r.row_id
    GROUP BY r.row_id, r.attendance_id, r.studentid, r.att_date
)
SELECT
    'attendance_time' AS table_name,
    c.row_id,
    c.studentid,
    c.att_date,
    CASE WHEN c.rows_now = 0 THEN 'deleted' WHEN c.rows_now > 1 THEN 'id_reused' ELSE 'changed' END AS problem,
    c.rows_now,
    c.now,
    c.attendance_id AS other_id,
    count(*) OVER () AS problems_total
FROM compared AS c
WHERE c.rows_now <> 1 OR c.changed
ORDER BY c.row_id
LIMIT %(limit)s
