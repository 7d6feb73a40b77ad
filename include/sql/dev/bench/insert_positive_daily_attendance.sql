-- Positive attendance (the stress case): a Present Daily record for every enrolled student on
-- every in-session day of the range that has no Daily record yet.
INSERT INTO {schema}.attendance
    (studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code, ccid, periodid)
SELECT DISTINCT ON (c.studentid, d.id)
       c.studentid, d.schoolid, %(yearid)s, d.date_value, d.id, present.id, %(mode_daily)s::text, 0, 0
FROM {schema}.calendar_day AS d
JOIN {schema}.cc AS c
  ON c.schoolid = d.schoolid
 AND c.sectionid > 0
 AND c.dateenrolled <= d.date_value
 AND d.date_value < c.dateleft
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
        AND a.att_mode_code = %(mode_daily)s::text
  )
ORDER BY c.studentid, d.id
