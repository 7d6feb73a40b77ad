CREATE INDEX attendance_schoolid_att_date_idx ON attendance (schoolid, att_date);
