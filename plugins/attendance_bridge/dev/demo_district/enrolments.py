"""The demo students and their schedules: enrolment windows (late arrivals, early leavers),
sections and section meetings, cc enrolments, mid-term section changes and dropped enrolments."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

from attendance_bridge.config import MODE_MEETING
from attendance_bridge.dev.demo_district.plan import IdRange, SchoolPlan, as_day, sample_count
from attendance_bridge.dev.demo_district.school_calendar import SchoolYear, term_spans

FIRST_NAMES = (
    "Ava",
    "Liam",
    "Mia",
    "Noah",
    "Zoe",
    "Ethan",
    "Lily",
    "Mateo",
    "Aria",
    "Lucas",
    "Chloe",
    "Elijah",
    "Nora",
    "Mason",
    "Isla",
    "Logan",
    "Maya",
    "Owen",
    "Leah",
    "Caleb",
    "Sofia",
    "Jack",
    "Emma",
    "Diego",
    "Hana",
    "Ravi",
    "Amara",
    "Tomas",
    "Ines",
    "Kofi",
)

LAST_NAMES = (
    "Garcia",
    "Smith",
    "Nguyen",
    "Johnson",
    "Patel",
    "Brown",
    "Kim",
    "Lopez",
    "Davis",
    "Chen",
    "Wilson",
    "O'Neil",
    "Martin",
    "Okafor",
    "Silva",
    "Anderson",
    "Novak",
    "Rossi",
    "Haddad",
    "Murphy",
    "Tanaka",
    "Clark",
    "Moreno",
    "Walker",
    "Singh",
    "Young",
    "Diaz",
    "Schmidt",
)


def enrolled_students(
    plan: SchoolPlan,
    year: SchoolYear,
    school_days: np.ndarray,
    ids: dict[str, IdRange],
    count: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Students with their enrolment window, and the ones allowed a mid-term section change."""
    student_ids = ids["students"].take(count)
    entry = np.full(count, as_day(year.first_day))
    exit_ = np.full(count, as_day(year.last_day + timedelta(days=1)))
    # Late arrivals, early leavers and section changers are disjoint, so a change always
    # falls inside its student's enrolment.
    order = rng.permutation(count)
    late_count = early_count = sample_count(count, 0.02) if count >= 3 else 0
    late, early = order[:late_count], order[late_count : late_count + early_count]
    changers = order[late_count + early_count :][: sample_count(count, 0.03)]
    arrivals = school_days[
        (school_days >= as_day(year.first_day + timedelta(days=28)))
        & (school_days < as_day(date(year.first_day.year, 12, 1)))
    ]
    departures = school_days[
        (school_days >= as_day(date(year.last_day.year, 2, 1))) & (school_days < as_day(date(year.last_day.year, 5, 1)))
    ]
    entry[late] = rng.choice(arrivals, size=len(late))
    exit_[early] = rng.choice(departures, size=len(early))
    students = pd.DataFrame(
        {
            "id": student_ids,
            "student_number": plan.number * 10_000 + np.arange(1, count + 1),
            "schoolid": plan.number,
            "first_name": rng.choice(FIRST_NAMES, size=count),
            "last_name": rng.choice(LAST_NAMES, size=count),
            "grade_level": rng.integers(plan.grades[0], plan.grades[1] + 1, size=count),
            "entry": entry,
            "exit": exit_,
        }
    )
    return students, changers


def sections_and_enrolments(
    plan: SchoolPlan,
    year: SchoolYear,
    students: pd.DataFrame,
    changers: np.ndarray,
    school_days: np.ndarray,
    ids: dict[str, IdRange],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """sections, section_meeting and cc: a full schedule per student, then changes and drops."""
    spans = term_spans(year)
    sections, meetings, enrolments = [], [], []
    for course_index, course in enumerate(plan.courses):
        termid, term_start, term_end = spans[course.term]
        takers = rng.permutation(len(students))[: sample_count(len(students), course.share)]
        takers.sort()
        section_count = max(1, math.ceil(len(takers) / course.capacity))
        section_ids = ids["sections"].take(section_count)
        periods = "-".join(str(p) for p in sorted({p for p, _ in course.meetings}))
        letters = "-".join(sorted({letter for _, letter in course.meetings}))
        sections.append(
            pd.DataFrame(
                {
                    "id": section_ids,
                    "schoolid": plan.number,
                    "termid": termid,
                    "course_number": course.number,
                    "section_number": [str(n) for n in range(1, section_count + 1)],
                    "att_mode_code": MODE_MEETING,
                    "expression": f"{periods}({letters})",
                    "course_index": course_index,
                    "section_index": np.arange(section_count),
                }
            )
        )
        meetings.append(
            pd.DataFrame(
                {
                    "sectionid": np.repeat(section_ids, len(course.meetings)),
                    "period_number": np.tile([p for p, _ in course.meetings], section_count),
                    "cycle_day_letter": np.tile([letter for _, letter in course.meetings], section_count),
                }
            )
        )
        # Balanced sections: the i-th taker of a random order goes to section i mod n.
        section_index = np.empty(len(takers), dtype=np.int64)
        section_index[rng.permutation(len(takers))] = np.arange(len(takers)) % section_count
        enrolled = students.iloc[takers]
        enrolments.append(
            pd.DataFrame(
                {
                    "studentid": enrolled["id"].to_numpy(),
                    "course_index": course_index,
                    "section_index": section_index,
                    "dateenrolled": np.maximum(enrolled["entry"].to_numpy(), term_start),
                    "dateleft": np.minimum(enrolled["exit"].to_numpy(), term_end),
                }
            )
        )
    section_frame = pd.concat(sections, ignore_index=True)
    meeting_frame = pd.concat(meetings, ignore_index=True)
    cc = pd.concat(enrolments, ignore_index=True).loc[lambda f: f["dateenrolled"] < f["dateleft"]]
    cc = pd.concat(
        [
            *_section_changes(plan, cc, section_frame, students, changers, school_days, year, rng),
            _dropped_enrolments(plan, cc, section_frame, students, rng),
        ],
        ignore_index=True,
    )
    section_of = section_frame[["id", "course_index", "section_index", "termid", "course_number", "section_number"]]
    cc = (
        cc.merge(section_of, on=["course_index", "section_index"], validate="many_to_one")
        .assign(
            sectionid=lambda f: np.where(f["dropped"], -f["id"], f["id"]),
            schoolid=plan.number,
        )
        .drop(columns="id")
        .sort_values(["studentid", "course_index", "dateenrolled", "sectionid"], kind="stable")
        .reset_index(drop=True)
    )
    cc = cc.assign(id=ids["cc"].take(len(cc)))
    meeting_frame = meeting_frame.assign(
        id=ids["section_meeting"].take(len(meeting_frame)),
        schoolid=plan.number,
        year_id=year.yearid,
    )
    return section_frame, meeting_frame, cc


def _changeable_courses(plan: SchoolPlan, sections: pd.DataFrame) -> np.ndarray:
    """Year-long courses other than homeroom that have a second section to move to."""
    counts = sections.groupby("course_index")["section_index"].size()
    return np.array(
        [
            index
            for index, course in enumerate(plan.courses)
            if course.term == "year" and course.number != "HR" and course.share >= 1.0 and counts.get(index, 0) >= 2
        ],
        dtype=np.int64,
    )


def _other_section(section_index: np.ndarray, section_counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A different section of the same course for each row (needs at least two sections)."""
    shift = 1 + (rng.random(len(section_index)) * (section_counts - 1)).astype(np.int64)
    return (section_index + shift) % section_counts


def _section_changes(
    plan: SchoolPlan,
    cc: pd.DataFrame,
    sections: pd.DataFrame,
    students: pd.DataFrame,
    changers: np.ndarray,
    school_days: np.ndarray,
    year: SchoolYear,
    rng: np.random.Generator,
) -> list[pd.DataFrame]:
    """cc with mid-term changes: the old enrolment leaves on the day the new one starts."""
    courses = _changeable_courses(plan, sections)
    if len(courses) == 0 or len(changers) == 0:
        return [cc.assign(dropped=False)]
    window = school_days[
        (school_days > as_day(year.first_day + timedelta(days=20)))
        & (school_days < as_day(date(year.last_day.year, 5, 1)))
    ]
    moves = pd.DataFrame(
        {
            "studentid": students["id"].to_numpy()[changers],
            "course_index": rng.choice(courses, size=len(changers)),
            "change_date": rng.choice(window, size=len(changers)),
        }
    )
    counts = sections.groupby("course_index")["section_index"].size().rename("section_count")
    flagged = cc.merge(moves, on=["studentid", "course_index"], how="left", validate="many_to_one")
    moved = flagged["change_date"].notna()
    before = flagged.assign(dateleft=flagged["change_date"].where(moved, flagged["dateleft"]).astype("datetime64[s]"))
    after = flagged.loc[moved].merge(counts, left_on="course_index", right_index=True)
    after = after.assign(
        section_index=_other_section(after["section_index"].to_numpy(), after["section_count"].to_numpy(), rng),
        dateenrolled=after["change_date"].astype("datetime64[s]"),
    )
    keep = ["studentid", "course_index", "section_index", "dateenrolled", "dateleft"]
    return [before[keep].assign(dropped=False), after[keep].assign(dropped=False)]


def _dropped_enrolments(
    plan: SchoolPlan,
    cc: pd.DataFrame,
    sections: pd.DataFrame,
    students: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Enrolments dropped on the day they began: negative sectionid, dateleft = dateenrolled."""
    courses = _changeable_courses(plan, sections)
    if len(courses) == 0:
        return cc.iloc[:0].assign(dropped=True)
    count = sample_count(len(students), 0.03)
    chosen = np.sort(rng.choice(len(students), size=count, replace=False))
    picks = pd.DataFrame(
        {
            "studentid": students["id"].to_numpy()[chosen],
            "course_index": rng.choice(courses, size=len(chosen)),
        }
    )
    counts = sections.groupby("course_index")["section_index"].size().rename("section_count")
    first_enrolment = cc.sort_values(["studentid", "course_index", "dateenrolled"], kind="stable").drop_duplicates(
        ["studentid", "course_index"]
    )
    dropped = picks.merge(first_enrolment, on=["studentid", "course_index"]).merge(
        counts, left_on="course_index", right_index=True
    )
    return dropped.assign(
        section_index=_other_section(dropped["section_index"].to_numpy(), dropped["section_count"].to_numpy(), rng),
        dateleft=dropped["dateenrolled"],
        dropped=True,
    )[["studentid", "course_index", "section_index", "dateenrolled", "dateleft", "dropped"]]
