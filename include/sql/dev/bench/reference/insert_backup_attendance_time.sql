-- X6: the attendance_time rows of the backed-up attendance rows, whole rows. Reading the ids from
-- the copy (not the SIS table again) keeps the two tables of the backup consistent with each other.
INSERT INTO {scratch}.attendance_time
SELECT t.*
FROM {schema}.attendance_time AS t
WHERE t.attendanceid IN (SELECT b.id FROM {scratch}.attendance AS b)
