-- The school's enrolments active on some day of the range (dateleft is exclusive).
SELECT id, studentid, sectionid, schoolid, dateenrolled, dateleft
FROM {schema}.cc
WHERE schoolid = %(school_number)s
  AND dateenrolled <= %(end_date)s
  AND dateleft > %(start_date)s
ORDER BY id
