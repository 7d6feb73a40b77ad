-- X1, X2, X7, M3: insert the records whose source record is still as the run read it and whose
-- key has no attendance row yet (a Daily record: any Daily record of the student that day; a
-- Meeting record: the same enrolment and period), each new Daily record with its attendance_time
-- row, and a lineage row for every row inserted (its source record, student, day, and the md5 of
-- the whole row's text as inserted, which a rollback compares before it deletes). The inserts and
-- the lineage are written by the pipeline schema's function insert_run_records (migration 0008),
-- from its own INSERTs' RETURNING: the login chooses the records, never what the lineage names.
-- No ON CONFLICT: the SIS has no unique constraints to conflict on.
-- Returns the counts, which the caller checks: every record is counted once, as the run's own
-- (bridge_own_records: an earlier try inserted it), left out (its source changed), existing,
-- inserted, or declined by the database (to_insert - inserted: a trigger or rule on attendance
-- that kept a row from landing).
WITH to_insert AS MATERIALIZED (
    SELECT t.*
    FROM (
        -- The records whose source is unchanged, planned on their own (OFFSET 0 keeps them apart), on
        -- the records' real number: a hash anti-join. Planned after the existence check below, on its
        -- guess of one record left, it read every stale source again for every record: 82 s instead
        -- of 13 s under the lock on attendance with 2,000 of them on a 2,500-student school.
        SELECT r.*
        FROM pg_temp.bridge_records AS r
        WHERE NOT EXISTS (SELECT 1 FROM pg_temp.bridge_stale_sources AS x WHERE x.id = r.parent_attendanceid)
        OFFSET 0
    ) AS t
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
),
loaded AS (
    -- The inserts and their lineage are the pipeline schema owner's function's (migration 0008):
    -- the login writes neither, so a lineage row can only name a row that function inserted.
    SELECT *
    FROM {pipeline_schema}.insert_run_records(
        %(sis_schema_name)s, %(dag_id)s, %(run_id)s, %(school_number)s, %(mode_daily)s,
        ARRAY(
            SELECT ROW(
                t.row_number, t.studentid, t.schoolid, t.yearid, t.att_date, t.calendar_dayid, t.attendance_codeid,
                t.att_mode_code, t.ccid, t.periodid, t.parent_attendanceid, t.time_in, t.time_out, t.total_minutes
            )::{pipeline_schema}.new_record
            FROM to_insert AS t
            ORDER BY t.row_number
        )
    )
)
SELECT
    l.inserted_attendance,
    l.inserted_daily,
    l.attendance_lineage,
    l.inserted_attendance_time,
    l.attendance_time_lineage,
    (SELECT count(*) FROM to_insert) AS to_insert,
    (
        SELECT count(*)
        FROM pg_temp.bridge_records AS t
        WHERE EXISTS (SELECT 1 FROM pg_temp.bridge_stale_sources AS x WHERE x.id = t.parent_attendanceid)
          AND NOT EXISTS (SELECT 1 FROM pg_temp.bridge_own_records AS o WHERE o.row_number = t.row_number)
    ) AS skipped_source_changed
FROM loaded AS l
