-- The runs' snapshot tables (X6) that the setup keeps: those a backup manifest names, by the name
-- its number gives them (backup_<n>_attendance, backup_<n>_attendance_time). A name that is not
-- its manifest's own is not a snapshot: that table is checked like any other.
SELECT t.table_name
FROM {pipeline_schema}.backup AS b
CROSS JOIN LATERAL (VALUES (b.attendance_table, 'attendance'), (b.attendance_time_table, 'attendance_time'))
    AS t (table_name, kind)
WHERE t.table_name = format('backup_%%s_%%s', b.backup_id, t.kind)
ORDER BY 1
