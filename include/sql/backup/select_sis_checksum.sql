-- Row counts and checksum of what the snapshot must hold, read from the SIS tables themselves.
-- A row's hash is the first 64 bits of the md5 of its jsonb text; summing them needs no sort.
WITH attendance_rows AS (
    SELECT a.id, to_jsonb(a.*)::text AS row_text
    FROM {sis_schema}.attendance AS a
    WHERE a.schoolid = %(school_number)s
      AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
),
attendance_time_rows AS (
    SELECT to_jsonb(t.*)::text AS row_text
    FROM {sis_schema}.attendance_time AS t
    WHERE t.attendanceid IN (SELECT id FROM attendance_rows)
),
summed AS (
    SELECT
        (SELECT count(*) FROM attendance_rows) AS attendance_rows,
        (SELECT coalesce(sum(('x' || left(md5(row_text), 16))::bit(64)::bigint), 0) FROM attendance_rows)
            AS attendance_sum,
        (SELECT count(*) FROM attendance_time_rows) AS attendance_time_rows,
        (SELECT coalesce(sum(('x' || left(md5(row_text), 16))::bit(64)::bigint), 0) FROM attendance_time_rows)
            AS attendance_time_sum
)
SELECT
    attendance_rows,
    attendance_time_rows,
    md5(concat_ws(':', attendance_rows, attendance_sum, attendance_time_rows, attendance_time_sum)) AS checksum
FROM summed
