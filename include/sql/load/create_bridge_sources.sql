-- The records' source records as the run read them (X7): the load builds nothing from a source
-- that is no longer in the SIS exactly so.
CREATE TEMPORARY TABLE bridge_sources (
    id bigint NOT NULL,
    studentid bigint NOT NULL,
    schoolid bigint NOT NULL,
    att_date date NOT NULL,
    attendance_codeid bigint,
    att_mode_code text,
    ccid bigint,
    periodid bigint
) ON COMMIT DROP
