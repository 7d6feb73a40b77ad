-- The school's Daily and Meeting records of the range: the sources and what already exists.
SELECT id, studentid, schoolid, att_date, attendance_codeid, att_mode_code, ccid, periodid
FROM {schema}.attendance
WHERE schoolid = %(school_number)s
  AND att_date BETWEEN %(start_date)s AND %(end_date)s
  AND att_mode_code IN (%(mode_daily)s, %(mode_meeting)s)
ORDER BY id
