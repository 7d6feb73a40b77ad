-- X7, X1: the source records that are no longer in the SIS as the run read them, found under the
-- load's lock on attendance (nobody can change one between this check and the insert): deleted
-- (a rollback, a clerk removing an absence entered in error), changed in a column the run read (a
-- corrected code, another student or day), or sharing their id with another row. Nothing is built
-- from them. A source is looked for among the school's records of the sources' days, which the
-- (schoolid, att_date) index finds; one moved to another school or outside those days is gone.
CREATE TEMPORARY TABLE bridge_stale_sources ON COMMIT DROP AS
WITH compared AS (
    SELECT
        s.id,
        count(a.id) AS rows_now,
        count(a.id) FILTER (
            WHERE (a.studentid, a.schoolid, a.att_date, a.attendance_codeid, a.att_mode_code, a.ccid, a.periodid)
                IS NOT DISTINCT FROM
                  (s.studentid, s.schoolid, s.att_date, s.attendance_codeid, s.att_mode_code, s.ccid, s.periodid)
        ) AS rows_as_read
    FROM pg_temp.bridge_sources AS s
    LEFT JOIN {sis_schema}.attendance AS a
      ON a.schoolid = %(school_number)s
     AND a.att_date BETWEEN %(first_source_date)s AND %(last_source_date)s
     AND a.id = s.id
    GROUP BY s.id
)
SELECT id, rows_now
FROM compared
WHERE NOT (rows_now = 1 AND rows_as_read = 1)
