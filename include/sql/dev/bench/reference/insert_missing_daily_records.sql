-- meeting_to_daily (SPEC 5, M1, M3): a Daily record where the student has no Daily record of the
-- school that day, each with one attendance_time row (whole minutes, rounded down: P5 guarantees
-- time in < time out, so integer division rounds down). Returns both counts.
WITH inserted AS (
    INSERT INTO {schema}.attendance (
        studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code,
        ccid, periodid, parent_attendanceid
    )
    SELECT r.studentid, %(school_number)s, %(yearid)s, r.att_date, r.calendar_dayid, r.attendance_codeid,
           %(mode_daily)s::text, r.ccid, r.periodid, r.parent_attendanceid
    FROM pg_temp.reference_records AS r
    WHERE NOT EXISTS (
        SELECT 1
        FROM {schema}.attendance AS a
        WHERE a.schoolid = %(school_number)s
          AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
          AND a.att_date = r.att_date
          AND a.studentid = r.studentid
          AND a.att_mode_code = %(mode_daily)s::text
    )
    ORDER BY r.att_date, r.studentid
    RETURNING id, studentid, att_date
),
times AS (
    -- The records are one per student and day, so the key finds each new row's times.
    INSERT INTO {schema}.attendance_time (attendanceid, time_in, time_out, total_minutes)
    SELECT n.id, r.time_in, r.time_out, (r.time_out - r.time_in) / 60
    FROM inserted AS n
    JOIN pg_temp.reference_records AS r
      ON r.studentid = n.studentid
     AND r.att_date = n.att_date
    ORDER BY n.id
    RETURNING id
)
SELECT (SELECT count(*) FROM inserted) AS inserted_attendance, (SELECT count(*) FROM times) AS inserted_attendance_time
