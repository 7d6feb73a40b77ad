-- The benchmark's row-for-row check: the records (with their attendance_time) the pipeline
-- inserted into {pipeline_copy} against those the SQL reference inserted into {reference_copy},
-- compared as multisets both ways. Zero on both sides: the same records.
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
)
SELECT
    (SELECT count(*) FROM pipeline_rows) AS pipeline_rows,
    (SELECT count(*) FROM reference_rows) AS reference_rows,
    (SELECT count(*) FROM (SELECT * FROM pipeline_rows EXCEPT ALL SELECT * FROM reference_rows) AS d) AS only_pipeline,
    (SELECT count(*) FROM (SELECT * FROM reference_rows EXCEPT ALL SELECT * FROM pipeline_rows) AS d) AS only_reference
