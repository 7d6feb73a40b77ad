-- SPEC section 3 default: the school's year term that contains the run's logical date.
SELECT yearid, firstday, lastday
FROM {schema}.terms
WHERE schoolid = %(school_number)s
  AND isyearrec = 1
  AND %(day)s BETWEEN firstday AND lastday
ORDER BY yearid DESC
LIMIT 1
