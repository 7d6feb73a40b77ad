-- X6: the attendance_time rows of the attendance rows of the snapshot, whole rows.
INSERT INTO {pipeline_schema}.{attendance_time_table}
SELECT t.*
FROM {sis_schema}.attendance_time AS t
WHERE t.attendanceid IN (
    SELECT a.id
    FROM {sis_schema}.attendance AS a
    WHERE a.schoolid = %(school_number)s
      AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
)
