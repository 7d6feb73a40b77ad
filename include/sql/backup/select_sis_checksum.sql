-- Row counts and checksum of what the snapshot must hold, read from the SIS tables themselves.
-- A row's hash is the first 64 bits of the md5 of its text (row::text, every column); a sum
-- needs no sort, and plain aggregates (no shared CTE) let PostgreSQL use parallel workers.
SELECT
    attendance.row_count AS attendance_rows,
    attendance_time.row_count AS attendance_time_rows,
    md5(concat_ws(':', attendance.row_count, attendance.hash_sum, attendance_time.row_count, attendance_time.hash_sum))
        AS checksum
FROM (
    SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(a::text), 16))::bit(64)::bigint), 0) AS hash_sum
    FROM {sis_schema}.attendance AS a
    WHERE a.schoolid = %(school_number)s
      AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
) AS attendance
CROSS JOIN (
    SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint), 0) AS hash_sum
    FROM {sis_schema}.attendance_time AS t
    WHERE t.attendanceid IN (
        SELECT a.id
        FROM {sis_schema}.attendance AS a
        WHERE a.schoolid = %(school_number)s
          AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
    )
) AS attendance_time
