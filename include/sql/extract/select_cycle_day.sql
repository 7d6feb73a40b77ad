-- The school's cycle day letters of the year (A, B, ...).
SELECT id, letter
FROM {schema}.cycle_day
WHERE schoolid = %(school_number)s
  AND year_id = %(yearid)s
ORDER BY id
