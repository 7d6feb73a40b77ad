"""The bridge rules of SPEC section 5 as pure, vectorised pandas functions.

Frames in, frames out: no Airflow, no database, no clock, no per-row Python. Every function
returns new frames and leaves its inputs untouched. ``bridge_records`` is the entry point the
DAG's compute task calls; the modules hold its named steps, public so tests can pin each rule:
``meeting_to_daily`` (M1-M4), ``daily_to_meeting`` (D1-D6), ``records`` (the source records,
X3 and P6), ``findings`` (conflicts, mismatches, unscheduled, disagreements and the counts);
the calendar (P5) is ``domain.school_days``.

Decided here, where SPEC section 5 is silent (see docs/decisions.md):
- A record's day is its ``att_date``; "a record of the school on d" matches on that date.
"""

from __future__ import annotations

from attendance_bridge.config import MEETING_TO_DAILY
from attendance_bridge.domain.frames import SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules.daily_to_meeting import missing_meeting_records
from attendance_bridge.domain.rules.findings import BridgeResult
from attendance_bridge.domain.rules.meeting_to_daily import missing_daily_records

__all__ = ["BridgeResult", "bridge_records"]


def bridge_records(frames: SchoolFrames, request: BridgeRequest) -> BridgeResult:
    """The records one run inserts, in the direction the request names."""
    if request.direction == MEETING_TO_DAILY:
        return missing_daily_records(frames, request)
    return missing_meeting_records(frames, request)
