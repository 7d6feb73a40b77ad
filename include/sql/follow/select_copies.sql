-- F1, F2: the school's copies whose day lies in the range: the attendance records a run built (an
-- attendance lineage row neither rolled back nor withdrawn, written under the database's check: migration
-- 0007 on), each with its row as it is now in the SIS and that row's md5, whether a person changed it since
-- the pipeline last wrote it (F2: its md5, its attendance_time rows the pipeline's and unchanged, no record of
-- the school built on it), and the parameters of the run that built it, which judge it (F1). The checks of
-- the times and of records built on a copy are hash joins over the copies, not a lookup per copy (attendance_time
-- may have no index on attendanceid, attendance none on parent_attendanceid).
WITH copies AS MATERIALIZED (
    SELECT l.row_id, l.source_attendance_id, l.studentid, l.att_date, l.row_md5, l.dag_id, l.run_id
    FROM {pipeline_schema}.lineage AS l
    WHERE l.school_number = %(school_number)s
      AND l.sis_schema = %(sis_schema_name)s
      AND l.table_name = 'attendance'
      AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
      AND l.row_md5 IS NOT NULL AND l.insert_xid IS NOT NULL
      AND l.att_date BETWEEN %(start_date)s AND %(end_date)s
),
foreign_times AS (
    SELECT DISTINCT t.attendanceid
    FROM {sis_schema}.attendance_time AS t
    JOIN copies AS c ON c.row_id = t.attendanceid
    WHERE NOT EXISTS (
        SELECT 1 FROM {pipeline_schema}.lineage AS lt
        WHERE lt.table_name = 'attendance_time' AND lt.row_id = t.id AND lt.attendance_id = t.attendanceid
          AND lt.sis_schema = %(sis_schema_name)s AND lt.rolled_back_at IS NULL AND lt.withdrawn_at IS NULL
          AND lt.row_md5 = md5(t::text)
    )
),
built_on AS (
    SELECT DISTINCT d.parent_attendanceid
    FROM {sis_schema}.attendance AS d
    JOIN copies AS c ON c.row_id = d.parent_attendanceid
    WHERE d.schoolid = %(school_number)s
)
SELECT
    c.row_id AS attendance_id,
    c.source_attendance_id,
    coalesce(a.studentid, c.studentid) AS studentid,
    coalesce(a.att_date, c.att_date) AS att_date,
    a.att_mode_code,
    a.ccid,
    a.periodid,
    a.attendance_codeid,
    a.id IS NOT NULL AS present,
    a.id IS NOT NULL AND (
        md5(a::text) IS DISTINCT FROM c.row_md5 OR f.attendanceid IS NOT NULL OR b.parent_attendanceid IS NOT NULL
    ) AS edited,
    md5(a::text) AS row_md5,
    r.direction,
    r.absent_periods,
    c.dag_id,
    c.run_id
FROM copies AS c
JOIN {pipeline_schema}.run_log AS r ON r.dag_id = c.dag_id AND r.run_id = c.run_id
LEFT JOIN {sis_schema}.attendance AS a ON a.id = c.row_id
LEFT JOIN foreign_times AS f ON f.attendanceid = c.row_id
LEFT JOIN built_on AS b ON b.parent_attendanceid = c.row_id
ORDER BY c.row_id
