"""What a task process's clock and collector do (``process_clock``, issue 21)."""

from __future__ import annotations

import gc
from datetime import date

import pytest
from attendance_bridge.process_clock import collector_spares_imports, spare_new_imports
from attendance_bridge.tasks.runtime import TaskRun, guarded_phase


def _tracked(value: object) -> bool:
    """Whether the collector would walk ``value`` in a collection (frozen objects are in none of its generations)."""
    return any(candidate is value for candidate in gc.get_objects())


@pytest.fixture(autouse=True)
def _nothing_frozen():
    """Every test starts and must end with nothing frozen (another test's freeze would hide a leak)."""
    gc.unfreeze()
    yield
    assert gc.get_freeze_count() == 0, "a test left objects frozen"


def test_the_collector_leaves_what_existed_before_the_work_alone_and_gets_it_back_after() -> None:
    imported_earlier = [object()]
    assert _tracked(imported_earlier)
    with collector_spares_imports():
        made_during_work = [object()]
        assert not _tracked(imported_earlier)
        assert _tracked(made_during_work)
        assert gc.get_freeze_count() > 0
    assert _tracked(imported_earlier)
    assert gc.get_freeze_count() == 0


def test_what_the_work_left_in_cycles_is_still_collected() -> None:
    with collector_spares_imports():
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1


def test_objects_come_back_to_the_collector_when_the_work_fails() -> None:
    imported_earlier = [object()]
    with pytest.raises(RuntimeError), collector_spares_imports():
        raise RuntimeError("the work failed")
    assert _tracked(imported_earlier)


def test_a_library_imported_during_the_work_is_spared_too_but_only_there() -> None:
    outside = [object()]
    spare_new_imports()  # outside a task's work: freezes nothing
    assert _tracked(outside) and gc.get_freeze_count() == 0
    with collector_spares_imports():
        imported_during_work = [object()]
        spare_new_imports()
        assert not _tracked(imported_during_work)
    assert _tracked(imported_during_work)


def test_every_guarded_phase_works_with_the_imports_spared() -> None:
    imported_earlier = [object()]
    run = TaskRun("attendance_bridge_sync", "manual__test", date(2026, 12, 6))
    with guarded_phase("extract_school_tables", run, 100) as timing:
        assert not _tracked(imported_earlier)
    assert _tracked(imported_earlier)
    assert timing["seconds"] >= 0
