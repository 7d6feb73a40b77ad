-- M3, X7: one attendance_time row per new Daily record, from its record's times (matched by the
-- full key, unique among the records: RETURNING order is not guaranteed), each with its lineage
-- row (with the md5 of the whole row's text as inserted, for the rollback). Returns the counts, which
-- the caller checks against each other.
WITH times AS (
    INSERT INTO {sis_schema}.attendance_time AS inserted_time (attendanceid, time_in, time_out, total_minutes)
    SELECT n.attendance_id, t.time_in, t.time_out, t.total_minutes
    FROM pg_temp.bridge_inserted AS n
    JOIN pg_temp.bridge_records AS t
      ON t.studentid = n.studentid
     AND t.att_date = n.att_date
     AND t.att_mode_code = n.att_mode_code
     AND t.ccid = n.ccid
     AND t.periodid = n.periodid
    WHERE n.att_mode_code = %(mode_daily)s
    ORDER BY n.attendance_id
    RETURNING inserted_time.id, inserted_time.attendanceid, md5(inserted_time::text) AS row_md5,
        inserted_time.ctid AS row_ctid
),
time_lineage AS (
    INSERT INTO {pipeline_schema}.lineage (
        dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id,
        studentid, att_date, row_md5, row_ctid
    )
    SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance_time', x.id,
        x.attendanceid, n.parent_attendanceid, n.studentid, n.att_date, x.row_md5, x.row_ctid
    FROM times AS x
    JOIN pg_temp.bridge_inserted AS n ON n.attendance_id = x.attendanceid
    RETURNING row_id
)
SELECT
    (SELECT count(*) FROM times) AS inserted_attendance_time,
    (SELECT count(*) FROM time_lineage) AS attendance_time_lineage
