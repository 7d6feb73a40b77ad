-- The school's year-long term (isyearrec = 1, id = yearid * 100): the default run range.
SELECT firstday, lastday
FROM {schema}.terms
WHERE schoolid = %(school_number)s
  AND isyearrec = 1
  AND id = %(yearid)s * 100
