-- meeting_to_daily (SPEC 5, M1-M4) as one statement: the Daily records the rules engine builds
-- for one school, year and range, each with its attendance_time row. Returns both counts.
-- Reads what the pipeline's extract reads: the school's calendar days of the range, its bell
-- schedules, periods and attendance codes of the year, and its Daily and Meeting records. The
-- day context is materialised so the planner starts from the school's days, not from attendance.
WITH days AS MATERIALIZED (
    -- Every in-session day d of the range with P*(d), the bridge item of B(d), and its default times.
    SELECT d.id AS calendar_dayid, d.date_value AS att_date, bridge.period_id AS bridge_period_id,
           bridge.daily_time_in_default AS time_in, bridge.daily_time_out_default AS time_out
    FROM {schema}.calendar_day AS d
    JOIN {schema}.bell_schedule AS b
      ON b.id = d.bell_schedule_id
     AND b.schoolid = %(school_number)s
     AND b.year_id = %(yearid)s
    JOIN {schema}.bell_schedule_items AS bridge
      ON bridge.bell_schedule_id = b.id
     AND bridge.daily_attendance_code = 1
    JOIN {schema}.period AS p
      ON p.id = bridge.period_id
     AND p.schoolid = %(school_number)s
     AND p.year_id = %(yearid)s
    WHERE d.schoolid = %(school_number)s
      AND d.insession = 1
      AND d.date_value BETWEEN %(start_date)s AND %(end_date)s
),
chosen AS (
    -- M4: only Meeting records of the bridge period count. M2: per student and day, an Absent
    -- code over a Present one, then the lowest attendance id.
    SELECT DISTINCT ON (m.studentid, m.att_date)
           m.id, m.studentid, m.att_date, m.attendance_codeid, days.calendar_dayid, days.time_in, days.time_out
    FROM {schema}.attendance AS m
    JOIN days
      ON days.att_date = m.att_date
     AND days.bridge_period_id = m.periodid
    JOIN {schema}.attendance_code AS k
      ON k.id = m.attendance_codeid
     AND k.schoolid = %(school_number)s
     AND k.yearid = %(yearid)s
    WHERE m.schoolid = %(school_number)s
      AND m.att_mode_code = %(mode_meeting)s::text
    ORDER BY m.studentid, m.att_date, k.presence_status_cd IS DISTINCT FROM %(absent)s::text, m.id
),
inserted AS (
    -- M1, M3: a Daily record where the student has no Daily record of the school that day.
    INSERT INTO {schema}.attendance (
        studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code,
        ccid, periodid, parent_attendanceid
    )
    SELECT c.studentid, %(school_number)s, %(yearid)s, c.att_date, c.calendar_dayid, c.attendance_codeid,
           %(mode_daily)s::text, 0, 0, c.id
    FROM chosen AS c
    WHERE NOT EXISTS (
        SELECT 1
        FROM {schema}.attendance AS a
        WHERE a.schoolid = %(school_number)s
          AND a.att_date = c.att_date
          AND a.studentid = c.studentid
          AND a.att_mode_code = %(mode_daily)s::text
    )
    ORDER BY c.att_date, c.studentid
    RETURNING id, studentid, att_date
),
times AS (
    -- M3: one attendance_time row per new Daily record (one per student and day), whole minutes
    -- rounded down (P5 guarantees time in < time out, so integer division rounds down).
    INSERT INTO {schema}.attendance_time (attendanceid, time_in, time_out, total_minutes)
    SELECT n.id, c.time_in, c.time_out, (c.time_out - c.time_in) / 60
    FROM inserted AS n
    JOIN chosen AS c
      ON c.studentid = n.studentid
     AND c.att_date = n.att_date
    ORDER BY n.id
    RETURNING id
)
SELECT (SELECT count(*) FROM inserted) AS inserted_attendance, (SELECT count(*) FROM times) AS inserted_attendance_time
