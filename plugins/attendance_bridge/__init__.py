"""attendance-bridge: rebuild missing Daily or Meeting attendance records for one school.

The package holds everything the DAGs call: pure rule functions (``rules``), the SQL
loader (``sql``), the embedded PostgreSQL used when no ``AIRFLOW_CONN_SIS_DB`` is given
(``embedded``) and the demo district generator (``demo_district``). Importing it is cheap:
no database, pandas or Airflow is touched until a function is called.
"""
