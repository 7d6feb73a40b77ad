-- F1: the source records of the school's copies in the range as they are now, found by id
-- whatever their school or day (a source moved to another day or student is judged as moved),
-- with the md5 of each row's text, which the follow function compares before it changes a copy
-- (the source is still as the run judged it). A source id with no row here was deleted.
SELECT s.id, s.studentid, s.schoolid, s.att_date, s.attendance_codeid, s.att_mode_code, s.ccid, s.periodid,
    md5(s::text) AS row_md5
FROM {sis_schema}.attendance AS s
WHERE s.id IN (
    SELECT l.source_attendance_id
    FROM {pipeline_schema}.lineage AS l
    WHERE l.school_number = %(school_number)s
      AND l.sis_schema = %(sis_schema_name)s
      AND l.table_name = 'attendance'
      AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
      AND l.row_md5 IS NOT NULL AND l.insert_xid IS NOT NULL
      AND l.att_date BETWEEN %(start_date)s AND %(end_date)s
)
ORDER BY s.id
