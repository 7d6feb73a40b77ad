-- The school's calendar days of the run's range (in session or not: X3 counts the rest).
SELECT id, schoolid, date_value, insession, bell_schedule_id, cycle_day_id
FROM {schema}.calendar_day
WHERE schoolid = %(school_number)s
  AND date_value BETWEEN %(start_date)s AND %(end_date)s
ORDER BY date_value, id
