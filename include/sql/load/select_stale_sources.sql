-- X7: what became of each stale source record, for the report: as the run read it, what the SIS
-- holds under its id now among the school's records of those days (the first row by dcid, if
-- any), and how many of the run's records were built from it and so left out. At most "limit"
-- rows, each with the total. Hash joins throughout: attendance need not have an index on id.
WITH now_rows AS (
    SELECT DISTINCT ON (a.id) a.id, a.studentid, a.att_date, a.att_mode_code, a.attendance_codeid
    FROM {sis_schema}.attendance AS a
    JOIN pg_temp.bridge_stale_sources AS x ON x.id = a.id
    WHERE a.schoolid = %(school_number)s
      AND a.att_date BETWEEN %(first_source_date)s AND %(last_source_date)s
    ORDER BY a.id, a.dcid
),
left_out AS (
    SELECT t.parent_attendanceid AS id, count(*) AS records
    FROM pg_temp.bridge_records AS t
    JOIN pg_temp.bridge_stale_sources AS x ON x.id = t.parent_attendanceid
    GROUP BY t.parent_attendanceid
)
SELECT
    s.id AS source_attendance_id,
    s.studentid,
    s.att_date,
    s.att_mode_code,
    s.attendance_codeid,
    CASE WHEN x.rows_now = 0 THEN 'deleted' WHEN x.rows_now > 1 THEN 'id_reused' ELSE 'changed' END AS problem,
    n.studentid AS now_studentid,
    n.att_date AS now_att_date,
    n.att_mode_code AS now_att_mode_code,
    n.attendance_codeid AS now_attendance_codeid,
    coalesce(l.records, 0) AS records_left_out,
    count(*) OVER () AS total
FROM pg_temp.bridge_stale_sources AS x
JOIN pg_temp.bridge_sources AS s ON s.id = x.id
LEFT JOIN now_rows AS n ON n.id = x.id
LEFT JOIN left_out AS l ON l.id = x.id
ORDER BY s.att_date, s.studentid, s.id
LIMIT %(limit)s
