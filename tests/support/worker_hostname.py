"""The host name a Celery worker of the distributed run reports for its tasks (``[core] hostname_callable``).

Both test workers run on one machine, where ``socket.getfqdn()`` gives them the same name. In a
real deployment each worker is a container or a machine of its own; here each is told its name
through ``WORKER_HOSTNAME_ENV``, so that ``task_instance.hostname`` shows which worker ran a task.
"""

from __future__ import annotations

import os

WORKER_HOSTNAME_ENV = "ATTENDANCE_BRIDGE_TEST_WORKER_HOSTNAME"
CALLABLE = f"{__name__}.hostname"


def hostname() -> str:
    """This worker's name, as its environment gives it."""
    return os.environ[WORKER_HOSTNAME_ENV]
