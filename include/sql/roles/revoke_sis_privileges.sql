-- Start from nothing in this database and the SIS schema, so that running the setup again also
-- takes away what an earlier version granted (a table's REVOKE takes its column privileges too).
REVOKE ALL ON DATABASE {database} FROM {role};
REVOKE ALL ON SCHEMA {sis_schema} FROM {role};
REVOKE ALL ON ALL TABLES IN SCHEMA {sis_schema} FROM {role};
REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sis_schema} FROM {role}
