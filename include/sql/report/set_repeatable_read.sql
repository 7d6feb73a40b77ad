-- One snapshot for reading the run's lineage and then its rows in attendance, as one statement had.
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
