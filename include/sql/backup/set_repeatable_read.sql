-- One snapshot for the copy and both checksums, so a concurrent write cannot make them differ.
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
