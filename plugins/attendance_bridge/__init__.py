"""attendance-bridge: rebuild missing Daily or Meeting attendance records for one school.

The package, by layer (each imports only from the layers below it; ``tests/test_architecture.py``):

- ``config``, ``catalog``, ``errors``: the settings and paths, every list spelled once (DAG and task
  ids, preconditions, counts, detail tables), the exceptions;
- ``domain``: pure pandas, no Airflow, no database, no files: the frames, the run request, the
  school calendar, the rules M1-M4 and D1-D6, the end-of-term plan, the rollback plan;
- ``checks`` (the Great Expectations gate), ``db`` (everything that sends SQL) and ``reporting``
  (run folders, the run report, pages);
- ``tasks``: one function per Airflow task, the only code that hands results from task to task
  (typed in ``domain.task_results``);
- ``wiring``: what the DAG files call, the sync graph declared once (``dag_params``: the parameters
  several DAGs share); ``ui``: the reports inside the
  Airflow UI (the app the project's Airflow plugin mounts on the API server);
- ``dev``: the embedded PostgreSQL, the demo district and ``make demo``; never imported by the rest.

Importing the package is cheap: a DAG file imports ``wiring`` with ``catalog`` and ``config``;
``tasks`` and everything they use are imported when a task runs.
"""
