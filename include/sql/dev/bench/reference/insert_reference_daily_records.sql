-- meeting_to_daily (SPEC 5, M2, M4): per student and in-session day of the range, the bridge-period
-- Meeting record a Daily record is built from, with the bridge item's default times (M3).
-- Reads what the pipeline's extract reads: the school's calendar days of the range, its bell
-- schedules, periods and attendance codes of the year, and its Meeting records. The day context
-- is materialised so the planner starts from the school's days, not from attendance.
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
)
-- M4: only Meeting records of the bridge period count. M2: per student and day, an Absent code
-- over a Present one, then the lowest attendance id.
INSERT INTO pg_temp.reference_records (
    studentid, att_date, calendar_dayid, attendance_codeid, ccid, periodid, parent_attendanceid, time_in, time_out
)
SELECT DISTINCT ON (m.studentid, m.att_date)
       m.studentid, m.att_date, days.calendar_dayid, m.attendance_codeid, 0, 0, m.id, days.time_in, days.time_out
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
