-- Row counts and checksum of a run's snapshot tables, computed the way select_sis_checksum does:
-- a typed copy's row text is the SIS row's text, column for column.
SELECT
    attendance.row_count AS attendance_rows,
    attendance_time.row_count AS attendance_time_rows,
    md5(concat_ws(':', attendance.row_count, attendance.hash_sum, attendance_time.row_count, attendance_time.hash_sum))
        AS checksum
FROM (
    SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(b::text), 16))::bit(64)::bigint), 0) AS hash_sum
    FROM {pipeline_schema}.{attendance_table} AS b
) AS attendance
CROSS JOIN (
    SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(b::text), 16))::bit(64)::bigint), 0) AS hash_sum
    FROM {pipeline_schema}.{attendance_time_table} AS b
) AS attendance_time
