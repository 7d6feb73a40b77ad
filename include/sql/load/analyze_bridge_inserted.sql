-- Real row counts for the joins that follow: estimated from the anti-join alone they can be 1,
-- and a nested loop over tens of thousands of rows then takes minutes.
ANALYZE pg_temp.bridge_inserted
