-- daily_to_meeting (SPEC 5, D4): insert the records whose key holds no Meeting record of the school
-- yet, whatever its code. Returns the count.
WITH inserted AS (
    INSERT INTO {schema}.attendance (
        studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code,
        ccid, periodid, parent_attendanceid
    )
    SELECT r.studentid, %(school_number)s, %(yearid)s, r.att_date, r.calendar_dayid, r.attendance_codeid,
           %(mode_meeting)s::text, r.ccid, r.periodid, r.parent_attendanceid
    FROM pg_temp.reference_records AS r
    WHERE NOT EXISTS (
        SELECT 1
        FROM {schema}.attendance AS a
        WHERE a.schoolid = %(school_number)s
          AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
          AND a.att_date = r.att_date
          AND a.studentid = r.studentid
          AND a.att_mode_code = %(mode_meeting)s::text
          AND a.ccid = r.ccid
          AND a.periodid = r.periodid
    )
    ORDER BY r.att_date, r.studentid, r.periodid, r.ccid
    RETURNING id
)
SELECT count(*) AS inserted_attendance FROM inserted
