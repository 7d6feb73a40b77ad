-- A reference run earlier in the same outer transaction leaves its records table behind.
DROP TABLE IF EXISTS pg_temp.reference_records
