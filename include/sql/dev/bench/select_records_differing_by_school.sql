-- The benchmarks' row-for-row check, school by school (bench/end_to_end.records_differing sums it): the records (with their
-- attendance_time) a run (the sync, the end of term) inserted into {pipeline_copy} against those the SQL
-- reference inserted into {reference_copy}, compared as multisets both ways. One row per school
-- that either side inserted for; zero on both sides of a row: that school's records are the same.
WITH pipeline_rows AS (
    SELECT x.studentid, x.schoolid, x.yearid, x.att_date, x.calendar_dayid, x.attendance_codeid,
           x.att_mode_code, x.ccid, x.periodid, x.parent_attendanceid, t.time_in, t.time_out, t.total_minutes
    FROM {pipeline_copy}.attendance AS x
    LEFT JOIN {pipeline_copy}.attendance_time AS t ON t.attendanceid = x.id
    WHERE x.dcid > %(pipeline_after)s
),
reference_rows AS (
    SELECT x.studentid, x.schoolid, x.yearid, x.att_date, x.calendar_dayid, x.attendance_codeid,
           x.att_mode_code, x.ccid, x.periodid, x.parent_attendanceid, t.time_in, t.time_out, t.total_minutes
    FROM {reference_copy}.attendance AS x
    LEFT JOIN {reference_copy}.attendance_time AS t ON t.attendanceid = x.id
    WHERE x.dcid > %(reference_after)s
),
only_pipeline AS (
    SELECT * FROM pipeline_rows EXCEPT ALL SELECT * FROM reference_rows
),
only_reference AS (
    SELECT * FROM reference_rows EXCEPT ALL SELECT * FROM pipeline_rows
)
SELECT
    schoolid,
    count(*) FILTER (WHERE side = 'pipeline') AS pipeline_rows,
    count(*) FILTER (WHERE side = 'reference') AS reference_rows,
    count(*) FILTER (WHERE side = 'only_pipeline') AS only_pipeline,
    count(*) FILTER (WHERE side = 'only_reference') AS only_reference
FROM (
    SELECT schoolid, 'pipeline' AS side FROM pipeline_rows
    UNION ALL SELECT schoolid, 'reference' FROM reference_rows
    UNION ALL SELECT schoolid, 'only_pipeline' FROM only_pipeline
    UNION ALL SELECT schoolid, 'only_reference' FROM only_reference
) AS sides
GROUP BY schoolid
ORDER BY schoolid
