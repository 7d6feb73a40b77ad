-- When each of the school's sections meets: period number and cycle day letter.
SELECT sectionid, schoolid, year_id, period_number, cycle_day_letter
FROM {schema}.section_meeting
WHERE schoolid = %(school_number)s
  AND year_id = %(yearid)s
ORDER BY sectionid, cycle_day_letter, period_number
