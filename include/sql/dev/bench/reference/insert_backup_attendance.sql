-- X6: every attendance row of the school in the range, all modes, whole rows.
-- (CREATE TABLE AS takes no bound parameters, hence a table first and this INSERT.)
INSERT INTO {scratch}.attendance
SELECT a.*
FROM {schema}.attendance AS a
WHERE a.schoolid = %(school_number)s
  AND a.att_date BETWEEN %(start_date)s AND %(end_date)s
