-- daily_to_meeting (SPEC 5, D1-D3, D6, D7): the Meeting records the Daily records of the range
-- build, one per target key (student, day, enrolment, period); under untaken_periods not in a
-- period beyond the bridge period whose section has a Meeting record that day (D7). It knows no
-- lineage: it runs on copies the pipeline never loaded into, where no record is a run's (X9).
-- Reads what the pipeline's extract reads: the school's calendar days of the range, its cycle
-- days, bell schedules, periods, section meetings and attendance codes of the year, its
-- enrolments active in the range, and its Daily records. The CTEs are materialised: inlined, the
-- planner starts from every enrolment on every day and probes attendance for each.
WITH days AS MATERIALIZED (
    -- Every in-session day d of the range with B(d), L(d) and P*(d).
    SELECT d.id AS calendar_dayid, d.date_value AS att_date, b.id AS bell_schedule_id, l.letter,
           bridge.period_id AS bridge_period_id
    FROM {schema}.calendar_day AS d
    JOIN {schema}.cycle_day AS l
      ON l.id = d.cycle_day_id
     AND l.schoolid = %(school_number)s
     AND l.year_id = %(yearid)s
    JOIN {schema}.bell_schedule AS b
      ON b.id = d.bell_schedule_id
     AND b.schoolid = %(school_number)s
     AND b.year_id = %(yearid)s
    JOIN {schema}.bell_schedule_items AS bridge
      ON bridge.bell_schedule_id = b.id
     AND bridge.daily_attendance_code = 1
    WHERE d.schoolid = %(school_number)s
      AND d.insession = 1
      AND d.date_value BETWEEN %(start_date)s AND %(end_date)s
),
schedule_periods AS (
    -- The periods of every bell schedule of the school and year: B -> p and its period number.
    SELECT DISTINCT i.bell_schedule_id, p.id AS periodid, p.period_number
    FROM {schema}.bell_schedule_items AS i
    JOIN {schema}.bell_schedule AS b
      ON b.id = i.bell_schedule_id
     AND b.schoolid = %(school_number)s
     AND b.year_id = %(yearid)s
    JOIN {schema}.period AS p
      ON p.id = i.period_id
     AND p.schoolid = %(school_number)s
     AND p.year_id = %(yearid)s
),
targets AS MATERIALIZED (
    -- D1: every Daily record x of the school on an in-session day of the range, with code k.
    -- D2: the bridge period, and every period of B(d) when k is Absent under all_periods or
    -- untaken_periods.
    SELECT x.id, x.studentid, x.att_date, x.attendance_codeid, days.calendar_dayid, days.letter,
           days.bridge_period_id, sp.periodid, sp.period_number
    FROM {schema}.attendance AS x
    JOIN days ON days.att_date = x.att_date
    JOIN {schema}.attendance_code AS k
      ON k.id = x.attendance_codeid
     AND k.schoolid = %(school_number)s
     AND k.yearid = %(yearid)s
    JOIN schedule_periods AS sp
      ON sp.bell_schedule_id = days.bell_schedule_id
     AND (sp.periodid = days.bridge_period_id
          OR (k.presence_status_cd = %(absent)s::text AND %(absent_every_period)s::boolean))
    WHERE x.schoolid = %(school_number)s
      AND x.att_mode_code = %(mode_daily)s::text
),
meets AS MATERIALIZED (
    -- When each of the school's enrolments (not dropped, active in the range) meets.
    SELECT DISTINCT c.id AS ccid, c.sectionid, c.studentid, c.dateenrolled, c.dateleft,
           sm.cycle_day_letter AS letter, sm.period_number
    FROM {schema}.cc AS c
    JOIN {schema}.section_meeting AS sm
      ON sm.sectionid = c.sectionid
     AND sm.schoolid = %(school_number)s
     AND sm.year_id = %(yearid)s
    WHERE c.schoolid = %(school_number)s
      AND c.sectionid > 0
      AND c.dateenrolled <= %(end_date)s
      AND c.dateleft > %(start_date)s
)
-- D3: one Meeting record per target period and enrolment through which the student is scheduled
-- then. D6: per (student, day, enrolment, period) the lowest source id wins.
INSERT INTO pg_temp.reference_records (
    studentid, att_date, calendar_dayid, attendance_codeid, ccid, periodid, parent_attendanceid
)
SELECT DISTINCT ON (t.studentid, t.att_date, m.ccid, t.periodid)
       t.studentid, t.att_date, t.calendar_dayid, t.attendance_codeid, m.ccid, t.periodid, t.id
FROM targets AS t
JOIN meets AS m
  ON m.studentid = t.studentid
 AND m.letter = t.letter
 AND m.period_number = t.period_number
 AND m.dateenrolled <= t.att_date
 AND t.att_date < m.dateleft
-- D7 under untaken_periods: not beyond the bridge period where the section's teacher took attendance.
WHERE NOT (
    %(untaken_only)s::boolean
    AND t.periodid <> t.bridge_period_id
    AND EXISTS (
        SELECT 1
        FROM {schema}.attendance AS taken
        JOIN {schema}.cc AS taken_cc ON taken_cc.id = taken.ccid AND taken_cc.sectionid = m.sectionid
        WHERE taken.schoolid = %(school_number)s
          AND taken.att_mode_code = %(mode_meeting)s::text
          AND taken.att_date = t.att_date
          AND taken.periodid = t.periodid
    )
)
ORDER BY t.studentid, t.att_date, m.ccid, t.periodid, t.id
