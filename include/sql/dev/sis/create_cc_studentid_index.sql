CREATE INDEX cc_studentid_idx ON cc (studentid);
