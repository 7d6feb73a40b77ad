-- The records the rules build, before the anti-join keeps those that do not exist yet. A table,
-- not a CTE: its statistics (analyze_reference_records) let the anti-join below plan for its real
-- size, where a CTE's estimate of a few rows makes it probe attendance once per record.
CREATE TEMPORARY TABLE reference_records (
    studentid bigint NOT NULL,
    att_date date NOT NULL,
    calendar_dayid bigint NOT NULL,
    attendance_codeid bigint NOT NULL,
    ccid bigint NOT NULL,
    periodid bigint NOT NULL,
    parent_attendanceid bigint NOT NULL,
    time_in integer,
    time_out integer
) ON COMMIT DROP
