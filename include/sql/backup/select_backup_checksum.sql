-- Row counts and checksum of a run's snapshot, computed the way select_sis_checksum does.
WITH summed AS (
    SELECT
        (SELECT count(*) FROM {pipeline_schema}.backup_attendance WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s)
            AS attendance_rows,
        (
            SELECT coalesce(sum(('x' || left(md5(b."row"::text), 16))::bit(64)::bigint), 0)
            FROM {pipeline_schema}.backup_attendance AS b
            WHERE b.dag_id = %(dag_id)s AND b.run_id = %(run_id)s
        ) AS attendance_sum,
        (
            SELECT count(*) FROM {pipeline_schema}.backup_attendance_time
            WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s
        ) AS attendance_time_rows,
        (
            SELECT coalesce(sum(('x' || left(md5(b."row"::text), 16))::bit(64)::bigint), 0)
            FROM {pipeline_schema}.backup_attendance_time AS b
            WHERE b.dag_id = %(dag_id)s AND b.run_id = %(run_id)s
        ) AS attendance_time_sum
)
SELECT
    attendance_rows,
    attendance_time_rows,
    md5(concat_ws(':', attendance_rows, attendance_sum, attendance_time_rows, attendance_time_sum)) AS checksum
FROM summed
