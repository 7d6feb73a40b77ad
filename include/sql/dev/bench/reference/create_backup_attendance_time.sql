-- The backup of attendance_time has the SIS table's columns (unknown ones too), without its defaults.
CREATE TABLE {scratch}.attendance_time (LIKE {schema}.attendance_time)
