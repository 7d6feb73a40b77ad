-- X1, X2: insert the records whose key has no attendance row yet (a Daily record: any Daily
-- record of the student that day; a Meeting record: the same enrolment and period) and keep the
-- new ids with their keys and, for the lineage (X7), the md5 of each whole row's text as
-- inserted, read from RETURNING rather than from a second pass over the table. No ON CONFLICT:
-- the SIS has no unique constraints to conflict on.
WITH inserted AS (
    INSERT INTO {sis_schema}.attendance AS new_row (
        studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code,
        ccid, periodid, parent_attendanceid
    )
    SELECT
        t.studentid, t.schoolid, t.yearid, t.att_date, t.calendar_dayid, t.attendance_codeid, t.att_mode_code,
        t.ccid, t.periodid, t.parent_attendanceid
    FROM pg_temp.bridge_records AS t
    WHERE NOT EXISTS (
        SELECT 1
        FROM {sis_schema}.attendance AS a
        -- Constant bounds let the planner read the school's range once (schoolid, att_date index).
        WHERE a.schoolid = %(school_number)s
          AND a.att_date BETWEEN %(first_date)s AND %(last_date)s
          AND a.schoolid = t.schoolid
          AND a.att_date = t.att_date
          AND a.studentid = t.studentid
          AND a.att_mode_code = t.att_mode_code
          AND (t.att_mode_code = %(mode_daily)s OR (a.ccid = t.ccid AND a.periodid = t.periodid))
    )
    -- Ids follow the records' order (day, student, period), which helps a person reading them.
    ORDER BY t.row_number
    RETURNING id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid, md5(new_row::text) AS row_md5
)
INSERT INTO pg_temp.bridge_inserted (
    attendance_id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid, row_md5
)
SELECT id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid, row_md5
FROM inserted
