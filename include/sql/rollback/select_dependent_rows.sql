-- X7: rows the run did not insert that refer to records it did insert: an attendance_time row of
-- one of its records (a teacher's), or a record built from one of its records (by a later run of
-- the other direction, say). Deleting the run's records would leave them pointing at nothing.
-- Each comes with the run that inserted it, if any. At most "limit" rows, each with the total.
WITH run_rows AS (
    SELECT l.table_name, l.row_id, l.studentid, l.att_date
    FROM {pipeline_schema}.lineage AS l
    WHERE l.dag_id = %(dag_id)s
      AND l.run_id = %(run_id)s
      AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
),
run_records AS (
    SELECT row_id, studentid, att_date FROM run_rows WHERE table_name = 'attendance'
),
dependents AS (
    SELECT 'attendance' AS table_name, r.row_id, r.studentid, r.att_date, 'has_other_time' AS problem,
        'attendance_time' AS other_table, t.id AS other_id
    FROM run_records AS r
    JOIN {sis_schema}.attendance_time AS t ON t.attendanceid = r.row_id
    WHERE NOT EXISTS (
        SELECT 1 FROM run_rows AS x WHERE x.table_name = 'attendance_time' AND x.row_id = t.id
    )
    UNION ALL
    SELECT 'attendance', r.row_id, r.studentid, r.att_date, 'is_source_of', 'attendance', a.id
    FROM run_records AS r
    JOIN {sis_schema}.attendance AS a ON a.parent_attendanceid = r.row_id
    WHERE NOT EXISTS (
        SELECT 1 FROM run_records AS x WHERE x.row_id = a.id
    )
),
shown AS (
    SELECT d.*, count(*) OVER () AS problems_total
    FROM dependents AS d
    ORDER BY d.row_id, d.other_id
    LIMIT %(limit)s
)
SELECT
    s.table_name, s.row_id, s.studentid, s.att_date, s.problem, NULL::bigint AS rows_now,
    jsonb_build_object('other_table', s.other_table, 'other_run_id', o.run_id) AS now,
    s.other_id, s.problems_total
FROM shown AS s
LEFT JOIN {pipeline_schema}.lineage AS o
  ON o.sis_schema = %(sis_schema_name)s
 AND o.table_name = s.other_table
 AND o.row_id = s.other_id
 AND o.rolled_back_at IS NULL AND o.withdrawn_at IS NULL
ORDER BY s.row_id, s.other_id
