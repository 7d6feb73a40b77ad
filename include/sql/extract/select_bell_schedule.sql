-- The school's bell schedules of the year, by name for the refusal messages.
SELECT id, name
FROM {schema}.bell_schedule
WHERE schoolid = %(school_number)s
  AND year_id = %(yearid)s
ORDER BY id
