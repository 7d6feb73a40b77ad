-- X6: every attendance row of the school in the range, all modes, whole rows (unknown columns too).
-- (CREATE TABLE AS takes no bound parameters, hence a table first and this INSERT.)
INSERT INTO {pipeline_schema}.{attendance_table}
SELECT a.*
FROM {sis_schema}.attendance AS a
WHERE a.schoolid = %(school_number)s
  AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
