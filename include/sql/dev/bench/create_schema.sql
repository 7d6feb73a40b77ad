-- A schema of the benchmark's own (the SQL reference's backup tables), dropped at the end.
CREATE SCHEMA {schema}
