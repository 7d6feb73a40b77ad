-- The records of this load whose key already exists because this same run inserted it earlier
-- (a retry whose first try committed): they are the run's own rows, counted as neither new nor
-- already there, and never as left out. Empty unless the run already has rows in the SIS.
CREATE TEMPORARY TABLE bridge_own_records (row_number bigint PRIMARY KEY) ON COMMIT DROP
