-- Each statement must see what a run that held the school's lock before this one committed (X2, X5),
-- so the load never runs on a snapshot taken before its lock was granted.
SET TRANSACTION ISOLATION LEVEL READ COMMITTED
