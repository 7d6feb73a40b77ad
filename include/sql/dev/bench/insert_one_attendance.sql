-- The naive approach a district script would take: one record per statement (and per commit).
INSERT INTO {schema}.attendance (
    studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code, ccid, periodid,
    parent_attendanceid
)
VALUES (
    %(studentid)s, %(schoolid)s, %(yearid)s, %(att_date)s, %(calendar_dayid)s, %(attendance_codeid)s,
    %(att_mode_code)s, %(ccid)s, %(periodid)s, %(parent_attendanceid)s
)
RETURNING id
