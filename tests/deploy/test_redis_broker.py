"""The bundled Redis that stands in for the machine's when none answers (the distributed run's broker)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import redis

from tests.support.redis_broker import answers, bundled_redis

pytestmark = pytest.mark.integration


def test_the_bundled_redis_answers_keeps_a_value_and_is_gone_after_the_block() -> None:
    with bundled_redis() as url:
        address = urlsplit(url)
        assert address.hostname == "127.0.0.1" and address.port != 6379
        client = redis.Redis.from_url(url)
        client.set("attendance_bridge", "broker")
        assert client.get("attendance_bridge") == b"broker"
        client.close()
    assert not answers(address.hostname, address.port)
