"""One function per Airflow task: the only code that hands results from task to task (their types and XCom
form: ``domain.request.RunScope``, ``domain.task_results``).

Each calls down into ``domain``, ``checks``, ``db`` and ``reporting``; ``wiring`` calls these
from the ``@task`` bodies of the DAG files."""
