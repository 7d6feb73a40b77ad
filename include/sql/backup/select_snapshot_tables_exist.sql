-- Whether both tables a manifest names are still there.
SELECT to_regclass(format('%%I.%%I', %(pipeline_schema_name)s::text, %(attendance_table)s::text)) IS NOT NULL
   AND to_regclass(format('%%I.%%I', %(pipeline_schema_name)s::text, %(attendance_time_table)s::text)) IS NOT NULL
    AS present
