-- X6: the snapshot's attendance_time table has every column of the SIS table, with its type.
CREATE TABLE {pipeline_schema}.{attendance_time_table} (LIKE {sis_schema}.attendance_time)
