-- Positive Meeting attendance (the stress case of meeting_to_daily): a Present Meeting record in
-- the bridge period for every student scheduled in it on every in-session day of the range that
-- has none, one per student and day (the lowest enrolment id when two sections double-book it).
INSERT INTO {schema}.attendance
    (studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code, ccid, periodid)
SELECT DISTINCT ON (c.studentid, d.id)
       c.studentid, d.schoolid, %(yearid)s, d.date_value, d.id, present.id, %(mode_meeting)s::text, c.id, i.period_id
FROM {schema}.calendar_day AS d
JOIN {schema}.cycle_day AS y ON y.id = d.cycle_day_id
JOIN {schema}.bell_schedule_items AS i ON i.bell_schedule_id = d.bell_schedule_id AND i.daily_attendance_code = 1
JOIN {schema}.period AS p ON p.id = i.period_id
JOIN {schema}.cc AS c
  ON c.schoolid = d.schoolid
 AND c.sectionid > 0
 AND c.dateenrolled <= d.date_value
 AND d.date_value < c.dateleft
JOIN {schema}.section_meeting AS m
  ON m.sectionid = c.sectionid
 AND m.cycle_day_letter = y.letter
 AND m.period_number = p.period_number
 AND m.year_id = %(yearid)s
CROSS JOIN LATERAL (
    SELECT k.id
    FROM {schema}.attendance_code AS k
    WHERE k.schoolid = d.schoolid
      AND k.yearid = %(yearid)s
      AND k.presence_status_cd = 'Present'
      AND coalesce(k.att_code, '') = ''
    ORDER BY k.id
    LIMIT 1
) AS present
WHERE d.schoolid = %(school_number)s
  AND d.insession = 1
  AND d.date_value BETWEEN %(start_date)s AND %(end_date)s
  AND NOT EXISTS (
      SELECT 1
      FROM {schema}.attendance AS a
      WHERE a.schoolid = d.schoolid
        AND a.studentid = c.studentid
        AND a.att_date = d.date_value
        AND a.att_mode_code = %(mode_meeting)s::text
        AND a.periodid = i.period_id
  )
ORDER BY c.studentid, d.id, c.id
