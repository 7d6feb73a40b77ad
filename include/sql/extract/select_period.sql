-- The school's periods of the year.
SELECT id, period_number, name
FROM {schema}.period
WHERE schoolid = %(school_number)s
  AND year_id = %(yearid)s
ORDER BY id
