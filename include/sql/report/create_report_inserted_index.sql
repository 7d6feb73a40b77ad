-- A nested loop into the run's ids is an index lookup, never a scan of all of them per row, even when
-- attendance's statistics (taken before the load) make the planner expect few rows of the school.
-- Built after the rows are in: faster than keeping it up to date row by row.
CREATE INDEX ON pg_temp.report_inserted (row_id)
