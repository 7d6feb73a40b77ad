-- X1, X2, X7: insert the records whose source record is still as the run read it and whose key
-- has no attendance row yet (a Daily record: any Daily record of the student that day; a Meeting
-- record: the same enrolment and period), and in the same statement, from what RETURNING gives
-- back, one lineage row per inserted row (its source record, student, day, the md5 of the whole
-- row's text as inserted, which a rollback compares before it deletes, and where the row is, by
-- which the lineage's own check sees that this transaction inserted it) and the new Daily
-- records with their keys, which get their attendance_time rows next (M3). The SIS table is not
-- read a second time. No ON CONFLICT: the SIS has no unique constraints to conflict on.
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
inserted AS (
    INSERT INTO {sis_schema}.attendance AS new_row (
        studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code,
        ccid, periodid, parent_attendanceid
    )
    SELECT
        t.studentid, t.schoolid, t.yearid, t.att_date, t.calendar_dayid, t.attendance_codeid, t.att_mode_code,
        t.ccid, t.periodid, t.parent_attendanceid
    FROM to_insert AS t
    -- Ids follow the records' order (day, student, period), which helps a person reading them.
    ORDER BY t.row_number
    RETURNING id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid, md5(new_row::text) AS row_md5,
        new_row.ctid AS row_ctid
),
new_daily AS (
    INSERT INTO pg_temp.bridge_inserted (
        attendance_id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid
    )
    SELECT id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid
    FROM inserted
    WHERE att_mode_code = %(mode_daily)s
    RETURNING attendance_id
),
lineage AS (
    -- The lineage's row order carries no meaning, so it is not sorted.
    INSERT INTO {pipeline_schema}.lineage (
        dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id,
        studentid, att_date, row_md5, row_ctid
    )
    SELECT %(dag_id)s, %(run_id)s, %(school_number)s, %(sis_schema_name)s, 'attendance', id,
        id, parent_attendanceid, studentid, att_date, row_md5, row_ctid
    FROM inserted
    RETURNING row_id
)
SELECT
    (SELECT count(*) FROM inserted) AS inserted_attendance,
    (SELECT count(*) FROM new_daily) AS inserted_daily,
    (SELECT count(*) FROM lineage) AS attendance_lineage,
    (SELECT count(*) FROM to_insert) AS to_insert,
    (
        SELECT count(*)
        FROM pg_temp.bridge_records AS t
        WHERE EXISTS (SELECT 1 FROM pg_temp.bridge_stale_sources AS x WHERE x.id = t.parent_attendanceid)
          AND NOT EXISTS (SELECT 1 FROM pg_temp.bridge_own_records AS o WHERE o.row_number = t.row_number)
    ) AS skipped_source_changed
