-- The reference's scratch schema, which holds the latest backup (X6) of the SIS tables it writes.
CREATE SCHEMA IF NOT EXISTS {scratch}
