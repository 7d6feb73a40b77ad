-- P2: the school's year term of a given year (isyearrec = 1, id = yearid * 100).
SELECT yearid, firstday, lastday
FROM {schema}.terms
WHERE schoolid = %(school_number)s
  AND isyearrec = 1
  AND yearid = %(yearid)s
