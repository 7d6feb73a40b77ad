-- Row counts and checksum of a run's snapshot, computed the way select_sis_checksum does.
SELECT
    attendance.row_count AS attendance_rows,
    attendance_time.row_count AS attendance_time_rows,
    md5(concat_ws(':', attendance.row_count, attendance.hash_sum, attendance_time.row_count, attendance_time.hash_sum))
        AS checksum
FROM (
    SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(b."row"::text), 16))::bit(64)::bigint), 0) AS hash_sum
    FROM {pipeline_schema}.backup_attendance AS b
    WHERE b.dag_id = %(dag_id)s AND b.run_id = %(run_id)s
) AS attendance
CROSS JOIN (
    SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(b."row"::text), 16))::bit(64)::bigint), 0) AS hash_sum
    FROM {pipeline_schema}.backup_attendance_time AS b
    WHERE b.dag_id = %(dag_id)s AND b.run_id = %(run_id)s
) AS attendance_time
