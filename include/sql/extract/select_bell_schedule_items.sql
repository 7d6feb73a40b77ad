-- The periods of the school's bell schedules, with the bridge flag and its default times.
SELECT items.id, items.bell_schedule_id, items.period_id, items.daily_attendance_code,
       items.daily_time_in_default, items.daily_time_out_default
FROM {schema}.bell_schedule_items AS items
JOIN {schema}.bell_schedule AS schedules ON schedules.id = items.bell_schedule_id
WHERE schedules.schoolid = %(school_number)s
  AND schedules.year_id = %(yearid)s
ORDER BY items.id
