"""Pure domain code: the frames the rules read, the run request, the school calendar, the rules
M1-M4 and D1-D6, the end-of-term plan and the rollback plan.

pandas and the standard library only: no Airflow, no database, no files, no clock
(``tests/test_architecture.py`` keeps it so).
"""
