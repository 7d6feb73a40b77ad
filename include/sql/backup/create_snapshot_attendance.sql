-- X6: the snapshot's attendance table has every column of the SIS table, with its type, unknown
-- columns included (LIKE copies no defaults, identities or indexes: a snapshot is only read).
CREATE TABLE {pipeline_schema}.{attendance_table} (LIKE {sis_schema}.attendance)
