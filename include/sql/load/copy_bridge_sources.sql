-- Bulk transfer of the records' source records, as the run read them.
COPY pg_temp.bridge_sources (
    id, studentid, schoolid, att_date, attendance_codeid, att_mode_code, ccid, periodid
) FROM STDIN (FORMAT BINARY)
