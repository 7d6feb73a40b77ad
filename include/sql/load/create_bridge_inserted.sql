-- The new Daily records of this load, with the key that matches each to its record (M3). The
-- primary key keeps every later join by id an index lookup, whatever the planner estimates.
CREATE TEMPORARY TABLE bridge_inserted (
    attendance_id bigint PRIMARY KEY,
    studentid bigint NOT NULL,
    att_date date NOT NULL,
    att_mode_code text NOT NULL,
    ccid bigint NOT NULL,
    periodid bigint NOT NULL,
    parent_attendanceid bigint NOT NULL
) ON COMMIT DROP
