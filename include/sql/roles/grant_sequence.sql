-- nextval on an id sequence, for the inserts of the owner's load function (no setval).
GRANT USAGE ON SEQUENCE {sequence} TO {owner}
