-- The naive approach's attendance_time row of one new Daily record.
INSERT INTO {schema}.attendance_time (attendanceid, time_in, time_out, total_minutes)
VALUES (%(attendanceid)s, %(time_in)s, %(time_out)s, %(total_minutes)s)
