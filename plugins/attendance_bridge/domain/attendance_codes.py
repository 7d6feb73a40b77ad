"""P6's question, asked of attendance records: which code does each use, and does the school have it with a presence status.

The rules engine asks it of the records it reads and refuses the first one it cannot read
(``domain.rules.records``); the Great Expectations gate asks it of every code the school's
records of the range use and names them all (``checks.preconditions``). Both look the codes up
here.
"""

from __future__ import annotations

import pandas as pd

from attendance_bridge.config import ABSENT, PRESENT
from attendance_bridge.domain.frames import SchoolFrames

# The presence statuses a code must have to be read (P6); the gate's suite lists the same two.
USABLE_STATUSES = (PRESENT, ABSENT)


def attendance_codes(frames: SchoolFrames) -> pd.DataFrame:
    """The school's attendance codes of the year, keyed as records refer to them.

    Columns: ``attendance_codeid`` (Int64, as ``attendance.attendance_codeid``), ``att_code``,
    ``presence_status_cd``.
    """
    return frames.attendance_code.rename(columns={"id": "attendance_codeid"}).astype({"attendance_codeid": "Int64"})


def with_codes(records: pd.DataFrame, frames: SchoolFrames) -> pd.DataFrame:
    """``records`` (with an ``attendance_codeid``) with their code's ``att_code`` and ``presence_status_cd``.

    ``code_exists`` says whether the school has the code; an id it does not have (or none)
    gets an empty code and status.
    """
    codes = attendance_codes(frames)
    joined = records.merge(codes, on="attendance_codeid", how="left", validate="many_to_one")
    return joined.assign(code_exists=joined["attendance_codeid"].isin(codes["attendance_codeid"]).to_numpy(dtype=bool))
