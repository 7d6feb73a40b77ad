-- Bulk transfer of the run's records into the temporary table.
COPY pg_temp.bridge_records (
    row_number, studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code,
    ccid, periodid, parent_attendanceid, time_in, time_out, total_minutes
) FROM STDIN (FORMAT BINARY)
