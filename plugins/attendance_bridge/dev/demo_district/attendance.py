"""The demo attendance records of one school, before they are numbered: Daily and Meeting
entries drawn per student-day, copies the other direction would build already in place (D4, M1),
and noise the bridge must ignore (days off, X3; another mode).

Every builder returns entries in one internal shape (``_entries``); each draws from the one
``rng`` in a fixed order, so the callers' order of calls is part of the district's identity.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from attendance_bridge.config import ABSENT, MODE_DAILY, MODE_MEETING
from attendance_bridge.dev.demo_district.plan import CODES, SchoolSetup

MODE_INTERVAL = "ATT_ModeInterval"  # a real mode the bridge must ignore
ABSENT_CODES = frozenset(key for key, _, presence in CODES if presence == ABSENT)

# The code a teacher or clerk entered when the copy in the other mode disagrees.
DIFFERENT_CODE = {"P": "T", "T": "P", "E": "U", "U": "E", "H": "E"}

# Chance per enrolled student-day of each event, on the days the school used that mode.
DAILY_EVENTS: dict[str, float] = {
    "E": 0.020,
    "U": 0.015,
    "T": 0.025,
    "H": 0.008,
    "P": 0.015,
    "pair": 0.002,
}
DAILY_PAIRS: tuple[tuple[str, str], ...] = (("E", "H"), ("H", "E"), ("U", "T"), ("T", "E"))
MEETING_EVENTS: dict[str, float] = {
    "absent_E": 0.018,
    "absent_U": 0.022,
    "tardy": 0.025,
    "cut": 0.010,
    "pair": 0.002,
}

# Bridge-period pairs: Present first, so M2's "Absent over Present" beats "lowest id", and
# one pair of two Absent codes, where the lowest id decides.
MEETING_PAIRS: tuple[tuple[str, str], ...] = (("P", "U"), ("T", "E"), ("U", "P"), ("E", "U"))
TIMED_DAILY_SHARE = 0.75  # of Tardy and Half Day records that carry an attendance_time row
COPY_SHARE = 0.05  # of records that already have their copy in the other mode
SAME_CODE_SHARE = 0.5  # of those copies that agree with their source
DAYS_OFF_NOISE = 3  # records per school and mode on days not in session
OTHER_MODE_NOISE = 4  # ATT_ModeInterval records per school


def _scheduled(student_days: pd.DataFrame, school: SchoolSetup) -> pd.DataFrame:
    """Every (enrolment, period) through which each student-day's student is scheduled (SPEC 5).

    Extra columns of ``student_days`` ride along, repeated for each scheduled period.
    """
    return (
        student_days.merge(school.days[["att_date", "letter"]], on="att_date", validate="many_to_one")
        .merge(school.day_periods, on="att_date")
        .merge(school.slots, on=["studentid", "letter", "period_number"])
        .loc[lambda f: (f["dateenrolled"] <= f["att_date"]) & (f["att_date"] < f["dateleft"])]
        .drop(columns=["letter", "dateenrolled", "dateleft"])
        .sort_values(["studentid", "att_date", "sort_order", "ccid"], kind="stable")
        .reset_index(drop=True)
    )


def _draws(school: SchoolSetup, mode: str, events: Mapping[str, float], rng: np.random.Generator) -> pd.DataFrame:
    """The enrolled student-days of ``mode``'s days that drew an event, with its name."""
    days = school.days.loc[school.days["mode"] == mode, "att_date"].to_numpy()
    entry = school.students["entry"].to_numpy()[:, None]
    exit_ = school.students["exit"].to_numpy()[:, None]
    # One draw per cell of the full grid, enrolled or not, so the stream stays aligned.
    draw = rng.random((len(entry), len(days)))
    event = np.searchsorted(np.cumsum(list(events.values())), draw, side="right")
    enrolled = (entry <= days[None, :]) & (days[None, :] < exit_)
    rows, cols = np.nonzero(enrolled & (event < len(events)))
    return pd.DataFrame(
        {
            "studentid": school.students["id"].to_numpy()[rows],
            "att_date": days[cols],
            "event": np.asarray(list(events))[event[rows, cols]],
        }
    )


def _entries(frame: pd.DataFrame, school: SchoolSetup, **values: object) -> pd.DataFrame:
    """Attendance entries in the one internal shape every builder returns."""
    defaults: dict[str, object] = {
        "schoolid": school.plan.number,
        "ccid": 0,
        "periodid": 0,
        "sort_order": 0,
        "is_bridge": False,
        "entry_order": 0,
        "paired": False,
        "parent_attendanceid": 0,
        "att_interval": 0,
        "time_in": pd.NA,
        "time_out": pd.NA,
    }
    # A default fills only a column the frame lacks; an explicit value always wins.
    missing = {name: value for name, value in defaults.items() if name not in frame}
    shaped = frame.assign(**{**missing, **values})
    return shaped[
        [
            "schoolid",
            "studentid",
            "att_date",
            "code",
            "att_mode_code",
            "ccid",
            "periodid",
            "sort_order",
            "is_bridge",
            "entry_order",
            "paired",
            "parent_attendanceid",
            "att_interval",
            "source",
            "time_in",
            "time_out",
        ]
    ].astype(
        {
            "ccid": "int64",
            "periodid": "int64",
            "sort_order": "int64",
            "is_bridge": "bool",
            "entry_order": "int64",
            "paired": "bool",
            "parent_attendanceid": "int64",
            "att_interval": "int64",
            "time_in": "Int64",
            "time_out": "Int64",
        }
    )


def _pairs(frame: pd.DataFrame, pairs: tuple[tuple[str, str], ...], rng: np.random.Generator) -> list[pd.DataFrame]:
    """Two rows per row of ``frame``, coded with a randomly chosen pair, in entry order."""
    choice = rng.integers(len(pairs), size=len(frame))
    firsts = np.array([first for first, _ in pairs])[choice]
    seconds = np.array([second for _, second in pairs])[choice]
    return [
        frame.assign(code=firsts, entry_order=0, paired=True),
        frame.assign(code=seconds, entry_order=1, paired=True),
    ]


def daily_entries(school: SchoolSetup, rng: np.random.Generator) -> pd.DataFrame:
    """The Daily records of the days the school took Daily attendance."""
    draws = _draws(school, MODE_DAILY, DAILY_EVENTS, rng)
    single = draws.loc[draws["event"] != "pair"].assign(code=lambda f: f["event"], entry_order=0, paired=False)
    records = (
        pd.concat([single, *_pairs(draws.loc[draws["event"] == "pair"], DAILY_PAIRS, rng)])
        .sort_values(["studentid", "att_date", "entry_order"], kind="stable")
        .reset_index(drop=True)
        .merge(school.days[["att_date", "time_in_default", "time_out_default"]], on="att_date", validate="many_to_one")
    )
    # Tardy arrivals at a five-minute step after the bell; half days morning or afternoon.
    timed = records["code"].isin(["T", "H"]).to_numpy() & (rng.random(len(records)) < TIMED_DAILY_SHARE)
    arrival_steps = rng.integers(1, 10, size=len(records))
    morning = rng.random(len(records)) < 0.5
    bell_in = records["time_in_default"].to_numpy(dtype=np.int64)
    bell_out = records["time_out_default"].to_numpy(dtype=np.int64)
    midday = bell_in + (bell_out - bell_in) // 2 // 300 * 300
    tardy = (records["code"] == "T").to_numpy()
    time_in = np.where(tardy, bell_in + 300 * arrival_steps, np.where(morning, bell_in, midday))
    time_out = np.where(tardy, bell_out, np.where(morning, midday, bell_out))
    return _entries(
        records,
        school,
        att_mode_code=MODE_DAILY,
        source="office",
        time_in=pd.Series(time_in, index=records.index, dtype="Int64").where(timed),
        time_out=pd.Series(time_out, index=records.index, dtype="Int64").where(timed),
    )


def meeting_entries(school: SchoolSetup, rng: np.random.Generator) -> pd.DataFrame:
    """The Meeting records of the days the school took Meeting attendance."""
    scheduled = _scheduled(_draws(school, MODE_MEETING, MEETING_EVENTS, rng), school)
    scheduled = scheduled.assign(key=rng.random(len(scheduled)))
    event = scheduled["event"]
    absent = scheduled.loc[event.isin(["absent_E", "absent_U"])].assign(
        code=lambda f: f["event"].str[-1], entry_order=0, paired=False
    )
    # Tardies: about half in the bridge period, the rest in one other period of the day.
    tardy = (
        scheduled.loc[event == "tardy"]
        .assign(key=lambda f: f["key"] * np.where(f["is_bridge"], 0.12, 1.0))
        .sort_values(["studentid", "att_date", "key"], kind="stable")
        .drop_duplicates(["studentid", "att_date"])
        .assign(code="T", entry_order=0, paired=False)
    )
    # Cut classes: one or two periods other than the bridge period.
    cut = (
        scheduled.loc[(event == "cut") & ~scheduled["is_bridge"]]
        .sort_values(["studentid", "att_date", "key"], kind="stable")
        .loc[lambda f: f.groupby(["studentid", "att_date"]).cumcount() < np.where(f["key"] < 0.4, 2, 1)]
        .assign(code="U", entry_order=0, paired=False)
    )
    pairs = _pairs(scheduled.loc[(event == "pair") & scheduled["is_bridge"]], MEETING_PAIRS, rng)
    records = pd.concat([absent, tardy, cut, *pairs]).sort_values(
        ["studentid", "att_date", "sort_order", "ccid", "entry_order"], kind="stable"
    )
    return _entries(records, school, att_mode_code=MODE_MEETING, source="teacher")


def meeting_copies_of_daily(school: SchoolSetup, earlier: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Meeting records that daily_to_meeting would build, already there (D4)."""
    sources = earlier.loc[(earlier["att_mode_code"] == MODE_DAILY) & ~earlier["paired"]]
    sources = sources.loc[rng.random(len(sources)) < COPY_SHARE]
    sources = sources.assign(
        same_code=rng.random(len(sources)) < SAME_CODE_SHARE,
        # Some absences were also copied into one period other than the bridge period.
        also_other_period=sources["code"].isin(ABSENT_CODES).to_numpy() & (rng.random(len(sources)) < 0.3),
    )[["studentid", "att_date", "id", "code", "same_code", "also_other_period"]]
    targets = _scheduled(sources.rename(columns={"id": "source_id"}), school)
    other = targets.loc[~targets["is_bridge"] & targets["also_other_period"]].drop_duplicates(["studentid", "att_date"])
    copies = pd.concat([targets.loc[targets["is_bridge"]], other]).sort_values(
        ["studentid", "att_date", "sort_order"], kind="stable"
    )
    return _copies(copies, school, MODE_MEETING)


def daily_copies_of_meeting(school: SchoolSetup, earlier: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Daily records that meeting_to_daily would build, already there (M1)."""
    sources = earlier.loc[(earlier["att_mode_code"] == MODE_MEETING) & earlier["is_bridge"] & ~earlier["paired"]]
    sources = sources.loc[rng.random(len(sources)) < COPY_SHARE]
    sources = sources.assign(same_code=rng.random(len(sources)) < SAME_CODE_SHARE).rename(columns={"id": "source_id"})[
        ["studentid", "att_date", "source_id", "code", "same_code"]
    ]
    copies = sources.merge(
        school.days[["att_date", "time_in_default", "time_out_default"]],
        on="att_date",
        validate="many_to_one",
    ).assign(ccid=0, periodid=0, sort_order=0, is_bridge=False)
    return _copies(copies, school, MODE_DAILY)


def _copies(copies: pd.DataFrame, school: SchoolSetup, mode: str) -> pd.DataFrame:
    """Copies of source records: same code as a bridge would write it, or a different one.

    A same-code copy looks bridge-built (parent_attendanceid set; a Daily one has the bridge
    times as in M3); a different-code copy was typed in by hand.
    """
    same = copies["same_code"].to_numpy()
    timed = same & (mode == MODE_DAILY)
    time_in = copies.get("time_in_default", pd.Series(pd.NA, index=copies.index, dtype="Int64"))
    time_out = copies.get("time_out_default", pd.Series(pd.NA, index=copies.index, dtype="Int64"))
    by_hand = "office" if mode == MODE_DAILY else "teacher"
    return _entries(
        copies,
        school,
        code=np.where(same, copies["code"], copies["code"].map(DIFFERENT_CODE)),
        att_mode_code=mode,
        parent_attendanceid=np.where(same, copies["source_id"], 0),
        source=np.where(same, "bridge", by_hand),
        time_in=time_in.astype("Int64").where(timed, pd.NA),
        time_out=time_out.astype("Int64").where(timed, pd.NA),
    )


def days_off_noise(school: SchoolSetup, rng: np.random.Generator) -> pd.DataFrame:
    """A few records on weekends and holidays, in the mode of their half of the year (X3)."""
    noise = []
    for mode, code in ((MODE_DAILY, "U"), (MODE_MEETING, "E")):
        dates = school.days_off.loc[school.days_off["mode"] == mode, "att_date"].to_numpy()
        count = min(DAYS_OFF_NOISE, len(dates))
        picked = pd.DataFrame(
            {
                "att_date": np.sort(rng.choice(dates, size=count, replace=False)),
                "studentid": school.students["id"].to_numpy()[rng.integers(len(school.students), size=count)],
            }
        )
        if mode == MODE_DAILY:
            enrolled = picked.merge(school.students, left_on="studentid", right_on="id")
            enrolled = enrolled.loc[
                (enrolled["entry"] <= enrolled["att_date"]) & (enrolled["att_date"] < enrolled["exit"])
            ]
            noise.append(_entries(enrolled.assign(code=code), school, att_mode_code=mode, source="office"))
            continue
        # A Meeting record needs a real enrolment and period: period 1 as on an A day.
        periods, slots = school.day_periods, school.slots
        first_period = periods.loc[periods["period_number"] == 1, "periodid"].iloc[0]
        slots = slots.loc[(slots["letter"] == "A") & (slots["period_number"] == 1)]
        enrolled = picked.merge(slots, on="studentid")
        enrolled = enrolled.loc[
            (enrolled["dateenrolled"] <= enrolled["att_date"]) & (enrolled["att_date"] < enrolled["dateleft"])
        ]
        noise.append(
            _entries(
                enrolled.assign(code=code),
                school,
                att_mode_code=mode,
                periodid=first_period,
                sort_order=2,
                source="teacher",
            )
        )
    return pd.concat(noise, ignore_index=True)


def other_mode_noise(school: SchoolSetup, rng: np.random.Generator) -> pd.DataFrame:
    """A few ATT_ModeInterval records on school days, which the bridge must ignore."""
    student_days = pd.DataFrame(
        {
            "studentid": school.students["id"].to_numpy()[rng.integers(len(school.students), size=OTHER_MODE_NOISE)],
            "att_date": school.days["att_date"].to_numpy()[rng.integers(len(school.days), size=OTHER_MODE_NOISE)],
        }
    ).drop_duplicates()
    picked = _scheduled(student_days, school).drop_duplicates(["studentid", "att_date"])
    return _entries(
        picked.assign(code="T"),
        school,
        att_mode_code=MODE_INTERVAL,
        att_interval=1,
        source="teacher",
    )
