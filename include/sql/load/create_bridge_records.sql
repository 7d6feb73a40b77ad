-- The run's records as the rules built them, numbered in their order.
CREATE TEMPORARY TABLE bridge_records (
    row_number bigint NOT NULL,
    studentid bigint NOT NULL,
    schoolid bigint NOT NULL,
    yearid integer NOT NULL,
    att_date date NOT NULL,
    calendar_dayid bigint NOT NULL,
    attendance_codeid bigint NOT NULL,
    att_mode_code text NOT NULL,
    ccid bigint NOT NULL,
    periodid bigint NOT NULL,
    parent_attendanceid bigint NOT NULL,
    time_in integer,
    time_out integer,
    total_minutes integer
) ON COMMIT DROP
