-- X1, X2, M3, X7 in one statement: insert the records whose key has no attendance row yet (a Daily
-- record: any Daily record of the student that day; a Meeting record: the same enrolment and
-- period), an attendance_time row for each new Daily record, and a lineage row for every row.
-- No ON CONFLICT: the SIS has no unique constraints to conflict on. RETURNING order is not
-- guaranteed, so new ids are matched back to their records by the full key, unique among them.
-- Returns the counts of each part, which the caller checks against each other.
WITH inserted AS (
    INSERT INTO {sis_schema}.attendance (
        studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code,
        ccid, periodid, parent_attendanceid
    )
    SELECT
        t.studentid, t.schoolid, t.yearid, t.att_date, t.calendar_dayid, t.attendance_codeid, t.att_mode_code,
        t.ccid, t.periodid, t.parent_attendanceid
    FROM pg_temp.bridge_records AS t
    WHERE NOT EXISTS (
        SELECT 1
        FROM {sis_schema}.attendance AS a
        -- Constant bounds let the planner read the school's range once (schoolid, att_date index).
        WHERE a.schoolid = %(school_number)s
          AND a.att_date BETWEEN %(first_date)s AND %(last_date)s
          AND a.schoolid = t.schoolid
          AND a.att_date = t.att_date
          AND a.studentid = t.studentid
          AND a.att_mode_code = t.att_mode_code
          AND (t.att_mode_code = %(mode_daily)s OR (a.ccid = t.ccid AND a.periodid = t.periodid))
    )
    -- Ids follow the records' order (day, student, period), which helps a person reading them.
    ORDER BY t.row_number
    RETURNING id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid
),
attendance_lineage AS (
    INSERT INTO {pipeline_schema}.lineage (
        dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id
    )
    SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance', i.id, i.id,
        i.parent_attendanceid
    FROM inserted AS i
    RETURNING row_id
),
times AS (
    INSERT INTO {sis_schema}.attendance_time (attendanceid, time_in, time_out, total_minutes)
    SELECT i.id, t.time_in, t.time_out, t.total_minutes
    FROM inserted AS i
    JOIN pg_temp.bridge_records AS t
      ON t.studentid = i.studentid
     AND t.att_date = i.att_date
     AND t.att_mode_code = i.att_mode_code
     AND t.ccid = i.ccid
     AND t.periodid = i.periodid
    WHERE i.att_mode_code = %(mode_daily)s
    ORDER BY i.id
    RETURNING id, attendanceid
),
time_lineage AS (
    INSERT INTO {pipeline_schema}.lineage (
        dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id
    )
    SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance_time', x.id,
        x.attendanceid, i.parent_attendanceid
    FROM times AS x
    JOIN inserted AS i ON i.id = x.attendanceid
    RETURNING row_id
)
SELECT
    (SELECT count(*) FROM inserted) AS inserted_attendance,
    (SELECT count(*) FROM inserted WHERE att_mode_code = %(mode_daily)s) AS inserted_daily,
    (SELECT count(*) FROM attendance_lineage) AS attendance_lineage,
    (SELECT count(*) FROM times) AS inserted_attendance_time,
    (SELECT count(*) FROM time_lineage) AS attendance_time_lineage
