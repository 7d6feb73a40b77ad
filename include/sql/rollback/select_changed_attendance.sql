-- X7: the attendance rows a run inserted that are no longer as it inserted them: gone, changed
-- (the md5 of the row's text differs from the one kept at load time) or sharing their id with
-- another row. The md5 is over the whole row or, when the table has gained columns since the
-- run's load, over the columns it had then (the caller passes that row expression). Rows loaded
-- before row hashes were kept (row_md5 NULL) are compared on what their lineage knows: the school
-- and the source record. At most "limit" rows, each with the total. roll_back_run_rows checks the same.
WITH run_rows AS (
    SELECT l.row_id, l.studentid, l.att_date, l.row_md5, l.school_number, l.source_attendance_id
    FROM {pipeline_schema}.lineage AS l
    WHERE l.dag_id = %(dag_id)s
      AND l.run_id = %(run_id)s
      AND l.table_name = 'attendance'
      AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
),
compared AS (
    SELECT
        r.row_id,
        r.studentid,
        r.att_date,
        count(a.id) AS rows_now,
        bool_or(
            CASE
                WHEN r.row_md5 IS NULL
                    THEN a.schoolid IS DISTINCT FROM r.school_number
                        OR a.parent_attendanceid IS DISTINCT FROM r.source_attendance_id
                ELSE md5({attendance_row}::text) IS DISTINCT FROM r.row_md5
            END
        ) AS changed,
        (array_agg(jsonb_build_object(
            'studentid', a.studentid, 'att_date', a.att_date, 'schoolid', a.schoolid,
            'att_mode_code', a.att_mode_code, 'attendance_codeid', a.attendance_codeid,
            'parent_attendanceid', a.parent_attendanceid
        ) ORDER BY a.dcid) FILTER (WHERE a.id IS NOT NULL))[1] AS now
    FROM run_rows AS r
    LEFT JOIN {sis_schema}.attendance AS a ON a.id = r.row_id
    GROUP BY r.row_id, r.studentid, r.att_date
)
SELECT
    'attendance' AS table_name,
    c.row_id,
    coalesce(c.studentid, (c.now ->> 'studentid')::bigint) AS studentid,
    coalesce(c.att_date, (c.now ->> 'att_date')::date) AS att_date,
    CASE WHEN c.rows_now = 0 THEN 'deleted' WHEN c.rows_now > 1 THEN 'id_reused' ELSE 'changed' END AS problem,
    c.rows_now,
    c.now,
    NULL::bigint AS other_id,
    count(*) OVER () AS problems_total
FROM compared AS c
WHERE c.rows_now <> 1 OR c.changed
ORDER BY c.row_id
LIMIT %(limit)s
