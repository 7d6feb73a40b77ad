"""Development-only code: the embedded PostgreSQL, the demo district and ``make demo``.

Never imported by production code (``tests/test_architecture.py``)."""
