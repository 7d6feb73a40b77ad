"""A run's names on disk (issue 29): the escape encoding is injective (it has an inverse), writes only the safe
alphabet, never names a folder ``.``, ``..`` or a hidden one; a run folder's name is one per (DAG id, run id);
a school's run id is one per (run id, key); and the run ids the project cannot serve are refused with a message
that says what to do."""

from __future__ import annotations

import re
import string
from datetime import date

import pytest
from attendance_bridge.domain.reconciliation import plan_nights, plan_reconciliations, school_run_id
from attendance_bridge.domain.run_names import (
    NAME_MAX,
    decoded,
    encoded,
    run_folder_name,
    run_of_folder_name,
    unservable_run_id,
)
from hypothesis import example, given
from hypothesis import strategies as st

from tests.domain.test_reconciliation import term, year

SYNC = "attendance_bridge_sync"
# Only these characters may appear in an encoding (the escape "=" included, "~" and "%" never).
SAFE_NAME = re.compile(r"[A-Za-z0-9_.=-]*")
# Any text, lone surrogates included (JSON's "\ud800" reaches Python as one), and run ids as Airflow allows them.
ANY_TEXT = st.text(st.characters(exclude_categories=()))
AIRFLOW_RUN_ID = st.text(string.ascii_letters + string.digits + "_.~:+-", min_size=1)
# Texts that differ only where the encoding has work to do: the ids, dots, escapes, multi-byte characters.
TRICKY = [
    "", ".", "..", "...", ".hidden", "a.", "x:1", "x+1", "x_1", "x~1", "x=1", "x=3A1", "x%3A1", "x/1", "/", "=",
    "==", "=3D", "~", "a~b", "manual__2026-12-07T15:14:28.964426+00:00", "manual__2026-12-07T15_14_28.964426_00_00",
    "scheduled__2026-06-05T02:00:00+00:00__school_100", "é", "e\u0301", "日本", "😀", "\ud83d\ude00", "\ud800", "\x00",
    " ", "\t", "a b", "A", "a",
]  # fmt: skip


@given(ANY_TEXT)
@example("x:1")
@example(".")
def test_decoding_an_encoding_gives_the_text_back_so_no_two_texts_share_a_name(text: str) -> None:
    name = encoded(text)
    assert decoded(name) == text
    assert SAFE_NAME.fullmatch(name) and not name.startswith(".")
    assert name not in (".", "..") and "/" not in name and "~" not in name and "%" not in name


def test_every_tricky_text_has_a_name_of_its_own() -> None:
    names = {text: encoded(text) for text in TRICKY}
    assert len(set(names.values())) == len(TRICKY)
    assert all(decoded(name) == text for text, name in names.items())
    # What the issue saw: ids that differ only in ":" "+" "_" shared one folder.
    assert (names["x:1"], names["x+1"], names["x_1"]) == ("x=3A1", "x=2B1", "x_1")
    assert (names["."], names[".."], names[".hidden"], names["a."]) == ("=2E", "=2E.", "=2Ehidden", "a.")
    assert (names["="], names["~"], names["/"], names["é"]) == ("=3D", "=7E", "=2F", "=C3=A9")


@pytest.mark.parametrize("name", ["=3a", "=41", ".x", "=2", "=ZZ", "a~b", "a%3A", "a/b", "=C3", "=FF"])
def test_a_name_the_encoding_never_writes_is_not_decoded(name: str) -> None:
    # Lower-case hex, an escaped safe character, a leading dot, a cut escape, bytes that are not UTF-8: each would be
    # a second spelling of some text, or of none, and the proof of injectivity relies on there being one.
    with pytest.raises(ValueError):
        decoded(name)


@given(st.sampled_from([SYNC, "attendance_bridge_end_of_term", "attendance_bridge_rollback"]), ANY_TEXT)
def test_a_run_folder_name_splits_back_into_its_dag_id_and_run_id(dag_id: str, run_id: str) -> None:
    name = run_folder_name(dag_id, run_id)
    assert run_of_folder_name(name) == (dag_id, run_id)
    assert name.count("~") == 1 and not name.startswith(".")


def test_the_sync_and_the_rollback_dag_never_share_a_folder_name_nor_do_ids_that_differ_in_one_character() -> None:
    run_id = "manual__2026-12-07T15:14:28.964426+00:00"
    assert run_folder_name(SYNC, run_id) == "attendance_bridge_sync~manual__2026-12-07T15=3A14=3A28.964426=2B00=3A00"
    assert run_folder_name(SYNC, run_id) != run_folder_name("attendance_bridge_rollback", run_id)
    # A sync run id chosen to look like an end-of-term school run's stays in a folder of its own DAG.
    school_run = school_run_id("scheduled__2026-06-05T02:00:00+00:00", "school_100")
    assert run_folder_name(SYNC, school_run) != run_folder_name("attendance_bridge_end_of_term", school_run)


# The keys' shapes (domain.reconciliation): school_<n>, then _year_<yearid> and _<direction> when needed.
KEYS = st.builds(
    lambda school, yearid, direction: f"school_{school}{yearid}{direction}",
    st.integers(1, 2**31 - 1),
    st.sampled_from(["", "_year_35", "_year_210"]),
    st.sampled_from(["", "_meeting_to_daily", "_daily_to_meeting"]),
)


@given(AIRFLOW_RUN_ID, KEYS)
@example("x__school_1", "school_2")
@example("x_", "school_1")
def test_a_school_run_id_gives_back_its_run_id_and_key_so_it_is_one_per_pair(run_id: str, key: str) -> None:
    compound = school_run_id(run_id, key)
    dag_run_id, _, school_key = compound.rpartition("__")  # the key is what follows the last "__"
    assert (dag_run_id, school_key) == (run_id, key)


def test_the_plans_keys_start_with_a_letter_and_hold_no_double_underscore() -> None:
    # The condition the injectivity above rests on, for every shape of key the two plans make.
    first, last = date(2025, 8, 18), date(2026, 6, 5)
    terms = [term(100, 3500, "Year", first, last), term(200, 3500, "Year", first, last)]
    terms.append(term(200, 3600, "Year", first, last))  # a second year of school 200: keyed by year
    nights = [year(100, ["2"], yearid=35), year(100, ["2"], yearid=36), year(200, ["1"])]
    keys = [entry["key"] for entry in plan_reconciliations(terms, "report")[0]]
    keys += [entry["key"] for entry in plan_nights(nights, date(2026, 6, 1), date(2026, 8, 20), "report")[0]]
    assert {"school_100", "school_200_year_36", "school_100_year_36_daily_to_meeting"} <= set(keys), keys
    assert all(key[0].isalpha() and "__" not in key for key in keys), keys
    for bad in ("_school_1", "school__1", ""):
        with pytest.raises(ValueError):
            school_run_id("x", bad)


@pytest.mark.parametrize("run_id", ["", ".", "..", "a/b", "/", "manual__x/../../etc"])
def test_run_ids_airflow_or_a_folder_cannot_address_are_refused_with_what_to_do(run_id: str) -> None:
    message = unservable_run_id(SYNC, run_id)
    assert message is not None
    assert f"The run id {run_id!r} of {SYNC} cannot be used" in message
    assert "trigger it again with a run id of letters, digits and -_.:+~" in message
    assert "leave the run id empty so Airflow chooses one" in message


def test_a_run_id_is_refused_when_its_folder_name_would_not_fit_in_one_path_segment() -> None:
    room = NAME_MAX - len(f"{SYNC}~")
    assert unservable_run_id(SYNC, "a" * room) is None
    longest = run_folder_name(SYNC, "a" * room)
    assert len(longest) == NAME_MAX
    message = unservable_run_id(SYNC, "a" * (room + 1))
    assert message is not None and f"{NAME_MAX + 1} characters, more than the {NAME_MAX}" in message
    # A ":" costs three characters once written: the limit is on the written name, not the id.
    assert unservable_run_id(SYNC, ":" * (room // 3)) is None
    assert unservable_run_id(SYNC, ":" * (room // 3 + 1)) is not None


@given(AIRFLOW_RUN_ID.filter(lambda run_id: run_id not in (".", "..") and len(run_id) < 60))
def test_every_other_run_id_airflow_allows_by_default_is_served(run_id: str) -> None:
    assert unservable_run_id(SYNC, run_id) is None
