-- F7, the nightly bridge's look-back: the first day in [first_day, last_day] (the year term before the night)
-- with a copy of the school, built in the night sync's direction, that its source or its day no longer implies
-- as it is, or NULL. Cheap on a night
-- without corrections: one pass over the school's rows of those days and its copies, no pandas. What it sees,
-- a subset of F1 judged in SQL: the source gone or no longer the copy's student, day, school or code, or of the
-- copy's own mode; the day out of session; a Daily copy whose source is not in the day's bridge period; a
-- Meeting copy in a period its day's bell schedule lacks, or beyond the bridge period of a bridge-period-only
-- run; an enrolment that no longer covers the day. A copy a person changed or deleted is never followed, so it
-- does not count. The night's run then follows, judges and builds from that day on (docs/decisions.md).
-- The school's rows of those days, narrow: the sources are looked up here by id, in one hash join (not
-- materialized: a scan of the CTE cost a quarter of the query).
WITH school_rows AS (
    SELECT a.id, a.studentid, a.schoolid, a.att_date, a.attendance_codeid, a.att_mode_code, a.ccid, a.periodid
    FROM {sis_schema}.attendance AS a
    WHERE a.schoolid = %(school_number)s
      AND a.att_date BETWEEN %(first_day)s AND %(last_day)s
),
day_context AS MATERIALIZED (
    SELECT d.date_value AS att_date, bool_or(d.insession = 1) AS in_session,
        (array_agg(d.bell_schedule_id ORDER BY d.id) FILTER (WHERE d.insession = 1))[1] AS bell_schedule_id
    FROM {sis_schema}.calendar_day AS d
    WHERE d.schoolid = %(school_number)s
      AND d.date_value BETWEEN %(first_day)s AND %(last_day)s
    GROUP BY d.date_value
),
bridge AS MATERIALIZED (
    SELECT i.bell_schedule_id, min(i.period_id) AS bridge_period_id
    FROM {sis_schema}.bell_schedule_items AS i
    WHERE i.daily_attendance_code = 1
    GROUP BY i.bell_schedule_id
),
schedule_periods AS MATERIALIZED (
    SELECT DISTINCT i.bell_schedule_id, i.period_id FROM {sis_schema}.bell_schedule_items AS i
),
-- The copies with their rows and whether each is as the pipeline last wrote it (an md5 of the copies' rows
-- only): a column, not a join condition,
-- so the planner's guess of how many are (one, for an equality of two md5s) does not turn the joins below into
-- loops over the school's days (0.95 s instead of 0.1 s at 300 students).
copies AS MATERIALIZED (
    SELECT a.id, a.studentid, a.schoolid, a.att_date, a.attendance_codeid, a.att_mode_code, a.ccid, a.periodid,
        l.source_attendance_id, r.absent_periods, md5(a::text) = l.row_md5 AS as_written
    FROM {pipeline_schema}.lineage AS l
    JOIN {pipeline_schema}.run_log AS r ON r.dag_id = l.dag_id AND r.run_id = l.run_id
    JOIN {sis_schema}.attendance AS a
      ON a.id = l.row_id AND a.schoolid = %(school_number)s AND a.att_date BETWEEN %(first_day)s AND %(last_day)s
    WHERE l.school_number = %(school_number)s
      AND l.sis_schema = %(sis_schema_name)s
      AND l.table_name = 'attendance'
      AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
      AND l.row_md5 IS NOT NULL AND l.insert_xid IS NOT NULL
      AND l.att_date BETWEEN %(first_day)s AND %(last_day)s
      AND r.direction = %(direction)s
),
stale AS MATERIALIZED (
SELECT c.id, c.att_date
FROM copies AS c
LEFT JOIN school_rows AS s ON s.id = c.source_attendance_id
LEFT JOIN day_context AS d ON d.att_date = c.att_date
LEFT JOIN bridge AS b ON b.bell_schedule_id = d.bell_schedule_id
LEFT JOIN schedule_periods AS p ON p.bell_schedule_id = d.bell_schedule_id AND p.period_id = c.periodid
LEFT JOIN {sis_schema}.cc AS e ON e.id = c.ccid
WHERE c.as_written
  AND (
      s.id IS NULL
      OR s.studentid IS DISTINCT FROM c.studentid
      OR s.att_date IS DISTINCT FROM c.att_date
      OR s.attendance_codeid IS NULL
      OR s.attendance_codeid IS DISTINCT FROM c.attendance_codeid
      OR s.att_mode_code = c.att_mode_code
      OR s.att_mode_code NOT IN (%(mode_daily)s, %(mode_meeting)s)
      OR NOT coalesce(d.in_session, false)
      OR (c.att_mode_code = %(mode_daily)s AND s.periodid IS DISTINCT FROM b.bridge_period_id)
      OR (c.att_mode_code = %(mode_meeting)s AND (
             p.period_id IS NULL
             OR (c.absent_periods = %(bridge_period_only)s AND c.periodid IS DISTINCT FROM b.bridge_period_id)
             OR e.id IS NULL OR e.sectionid <= 0 OR e.schoolid IS DISTINCT FROM c.schoolid
             OR e.dateenrolled > c.att_date OR e.dateleft <= c.att_date
         ))
  )
)
-- Of the stale copies (few, or none on a quiet night, when these are not even read), those a person has not
-- touched through their attendance times or by building on them: those are never followed (F2).
SELECT min(x.att_date) AS first_day
FROM stale AS x
WHERE NOT EXISTS (
    SELECT 1
    FROM {sis_schema}.attendance_time AS t
    WHERE t.attendanceid = x.id
      AND NOT EXISTS (
          SELECT 1 FROM {pipeline_schema}.lineage AS lt
          WHERE lt.table_name = 'attendance_time' AND lt.row_id = t.id AND lt.attendance_id = x.id
            AND lt.sis_schema = %(sis_schema_name)s AND lt.rolled_back_at IS NULL AND lt.withdrawn_at IS NULL
            AND lt.row_md5 = md5(t::text)
      )
)
  AND NOT EXISTS (SELECT 1 FROM {sis_schema}.attendance AS d WHERE d.parent_attendanceid = x.id)
