"""What a Celery worker imports once, before it forks the processes that run the tasks (``celery_config``).

Importing this module costs what the sync's tasks would each pay at start (pandas, pyarrow,
psycopg, the task modules, Great Expectations with its loggers quieted): in the worker, once,
instead of in every task process. The forked task processes share these pages with the worker
until they write to them.
"""

from __future__ import annotations

import pandas  # noqa: F401
import psycopg  # noqa: F401
import pyarrow  # noqa: F401

from attendance_bridge.checks.gx import import_gx
from attendance_bridge.tasks import end_of_term, parameters, rollback, sync, sync_report  # noqa: F401

import_gx()
