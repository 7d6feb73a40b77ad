"""The sync's first task, ``check_parameters``: the run's conf checked, the SIS schema in the catalog, P1 and P2 in
the SIS, the run's scope.

A module of its own so that the task's process imports only what it needs: the conf's rules, one
connection, a catalog check and two lookups. Neither pandas nor anything of the gate or the reports (``tasks.sync``
imports them for the later tasks): that is about 500 modules and 0.8 s less at every run's start
(``bench/task_imports.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from attendance_bridge.catalog import NIGHTLY_DAG_ID
from attendance_bridge.config import DIRECTION_AUTO, pipeline_schema
from attendance_bridge.db.connection import connect_sis, sis_schema
from attendance_bridge.db.lookups import first_stale_copy_day, school_and_range, year_term_first_day
from attendance_bridge.db.sis_tables import check_sis_tables
from attendance_bridge.domain.request import RunScope, parse_run_parameters, plausible_school
from attendance_bridge.tasks.runtime import TaskRun, guarded_phase, open_run_log

log = logging.getLogger(__name__)


def check_parameters(run: TaskRun, conf: Mapping[str, Any]) -> dict[str, Any]:
    """The run's conf checked strictly (types, unknown keys), the SIS schema as the bridge needs it, then P1 and P2
    in the SIS: the run's scope."""
    school = plausible_school(conf.get("school_number"))
    with guarded_phase("check_parameters", run, school) as timing, connect_sis() as conn:
        schema, own_schema = sis_schema(conn), pipeline_schema()
        open_run_log(conn, own_schema, run, school, conf)
        parameters = parse_run_parameters(conf)
        # The SIS schema, its tables and the columns the load must fill, in the catalog, before a SIS table is read:
        # a dry run is refused too, as it says what the load would do (X8).
        check_sis_tables(conn, schema, f"asked for school {parameters.school_number}")
        yearid, start, end = school_and_range(conn, schema, parameters, run.logical_date)
        looked_back_from = None
        if run.dag_id == NIGHTLY_DAG_ID and parameters.follow_sources and parameters.direction != DIRECTION_AUTO:
            # F7: the nightly bridge follows the copies of the year term up to the night (corrections come later).
            year_first = year_term_first_day(conn, schema, parameters.school_number, yearid)
            stale = None
            if year_first < start:
                stale = first_stale_copy_day(
                    conn, own_schema, schema, parameters.school_number, parameters.direction, year_first,
                    start - timedelta(days=1),
                )  # fmt: skip
            if stale is not None:
                log.info(
                    "check_parameters: a copy of %s no longer follows from its source; the night's run starts there "
                    "instead of %s (F7)", stale, start,
                )  # fmt: skip
                looked_back_from, start = start, stale
    scope = RunScope(
        school_number=parameters.school_number,
        yearid=yearid,
        start_date=start,
        end_date=end,
        requested_direction=parameters.direction,
        absent_periods=parameters.absent_periods,
        dry_run=parameters.dry_run,
        follow_sources=parameters.follow_sources,
        looked_back_from=looked_back_from,
        sis_schema=schema,
        pipeline_schema=own_schema,
    )
    checked = scope.to_xcom() | {"seconds": timing["seconds"]}
    log.info("check_parameters: %s", checked)
    return checked
