-- nextval on an id sequence, for the inserts (no setval).
GRANT USAGE ON SEQUENCE {sequence} TO {role}
