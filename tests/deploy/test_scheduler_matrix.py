"""Every DAG in every mode as a district runs it (issue 29): a real scheduler, dag-processor and api-server
with the LocalExecutor and 4 task slots, every run triggered through the REST API as a script would.

``dags test`` and ``dag.test()`` run one task after another; a concurrent executor runs every ready task
at once and skips a task as soon as one of its upstream tasks is skipped. So a dry run, whose backup
skips, is only proven green here: before issue 29 its report started while the candidates' checks still
ran and failed every dry run and every report-mode night.

The district the scheduler works on (S) and a twin generated from the same seed (T) receive the same
runs in the same order: S through the scheduler, T through ``dag.test()`` (what ``dags test`` runs). Each
run's report says the same on both. The read-only runs (dry run, report mode, a quiet night) are
compared on S itself, and S's SIS tables are shown unchanged by them.

The runs, in the demo district's year 2025-2026 (Lincoln High 100: Daily in the autumn, Meeting from
20 January, two-way bridge; Roosevelt Middle 200: the other way round, one-way bridge):

- read-only, all triggered at once: a sync dry run; an end of term in report mode (5 June ends the year);
  a nightly bridge in report mode for Monday 6 October; a quiet night (15 July: no school's year);
- then, one after another where they depend on each other: two sync applies triggered together whose run
  ids differ only in ':' and '_' (school 100 daily_to_meeting and school 200 meeting_to_daily, September);
  a rollback plan (dry run) and a rollback of the first; the nightly bridge for 6 October in apply mode;
  the end of term of 5 June in apply mode; attendance_bridge_finish_run on the second apply (already
  ended: nothing to change); then a teacher corrects one of Monday 6 October's records of school 200 and
  the night of Tuesday 7 October follows it (SPEC F7: it looks back to Monday), in report mode and then in
  apply mode;
- a run id '.', which Airflow's pattern accepts and its own XCom API cannot serve: refused, run log closed.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from attendance_bridge.catalog import (
    END_OF_TERM_DAG_ID,
    FINISH_RUN_DAG_ID,
    NIGHTLY_DAG_ID,
    ROLLBACK_DAG_ID,
    SYNC_DAG_ID,
)
from attendance_bridge.config import (
    PIPELINE_SCHEMA_ENV,
    REPORTS_BASE_ENV,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
    STAGING_BASE_ENV,
)
from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.dev.embedded_postgres import SisConnection
from attendance_bridge.domain.run_names import encoded, run_folder_name, unservable_run_id
from psycopg import sql

from tests.support.airflow_services import AirflowServices, RestClient, running_airflow
from tests.support.sync_sandbox import (
    ROOT,
    SANDBOX_SEED,
    SANDBOX_STUDENTS,
    Sandbox,
    parsed_dag,
    snapshot,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_IDS = (SYNC_DAG_ID, ROLLBACK_DAG_ID, END_OF_TERM_DAG_ID, NIGHTLY_DAG_ID, FINISH_RUN_DAG_ID)
RUN_TIMEOUT = 600
GREEN = {"success", "skipped"}

# The runs' parameters (conf) and, for the scheduled DAGs, the logical date whose data interval is the day.
SYNC_DRY = {
    "school_number": 100,
    "year": 35,
    "direction": "daily_to_meeting",
    "end_date": "2025-09-30",
    "dry_run": True,
}
SYNC_100 = {"school_number": 100, "year": 35, "direction": "daily_to_meeting",
            "start_date": "2025-09-02", "end_date": "2025-09-30"}  # fmt: skip
SYNC_200 = {"school_number": 200, "year": 35, "direction": "meeting_to_daily",
            "start_date": "2025-09-02", "end_date": "2025-09-30"}  # fmt: skip
YEAR_END = datetime(2026, 6, 6, 2, tzinfo=UTC)  # covers Friday 5 June 2026, the last day of the year
WORK_NIGHT = datetime(2025, 10, 7, 2, tzinfo=UTC)  # covers Monday 6 October 2025
QUIET_NIGHT = datetime(2026, 7, 16, 2, tzinfo=UTC)  # covers 15 July 2026: no school's year
# The apply runs of the same days: a DAG has one run per logical date, and a manual run a minute later
# covers the same day (Airflow infers the interval that ended before it).
WORK_NIGHT_AGAIN, YEAR_END_AGAIN = WORK_NIGHT + timedelta(minutes=1), YEAR_END + timedelta(minutes=1)
# The night after (covers Tuesday 7 October), which follows a correction of Monday's records (F7).
NEXT_NIGHT = datetime(2025, 10, 8, 2, tzinfo=UTC)
NEXT_NIGHT_AGAIN = NEXT_NIGHT + timedelta(minutes=1)
# Two run ids that the project once wrote into one folder ('x_1' both): each must keep its own files.
COLON_RUN, UNDERSCORE_RUN = "matrix__x:1", "matrix__x_1"
UNSERVABLE_RUN = "."


@dataclass(frozen=True)
class District:
    """A demo district in schemas and folders of its own."""

    name: str
    schema: str
    pipeline_schema: str
    reports: Path
    staging: Path

    def environment(self, server: SisConnection) -> dict[str, str]:
        """What the tasks need to work on this district."""
        return {
            SIS_CONN_ENV: server.airflow_json(),
            SIS_SCHEMA_ENV: self.schema,
            PIPELINE_SCHEMA_ENV: self.pipeline_schema,
            REPORTS_BASE_ENV: f"file://{self.reports}",
            STAGING_BASE_ENV: f"file://{self.staging}",
        }


@dataclass
class Outcome:
    """One run as it ended: its state, its task instances' states, and what its report says."""

    dag_id: str
    run_id: str
    state: str
    task_states: dict[tuple[str, int], str | None] = field(default_factory=dict)
    said: Any = None


@dataclass
class Matrix:
    """Every run of the matrix, on the scheduler (S) and under dag.test() (T, or S for the read-only runs)."""

    scheduler: dict[str, Outcome] = field(default_factory=dict)
    dags_test: dict[str, Outcome] = field(default_factory=dict)
    sis_before_read_only: dict = field(default_factory=dict)
    sis_after_read_only: dict = field(default_factory=dict)
    s: Sandbox | None = None
    s_district: District | None = None


# --------------------------------------------------------------------------- what a run's report says


def reports_by_run(base: Path) -> dict[tuple[str, str], dict]:
    """Every run report and district summary under a reports base, by (DAG id, run id), whatever the layout."""
    found = {}
    for path in [*base.rglob("report.json"), *base.rglob("summary.json")]:
        document = json.loads(path.read_text())
        if "dag_id" in document and "run_id" in document:
            found[(document["dag_id"], document["run_id"])] = {**document, "_folder": str(path.parent)}
    return found


def what_it_says(base: Path, dag_id: str, run_id: str) -> Any:
    """What a run's report says that must not depend on how the run was executed (None: it left no report)."""
    document = reports_by_run(base).get((dag_id, run_id))
    if document is None:
        return None
    if dag_id in (END_OF_TERM_DAG_ID, NIGHTLY_DAG_ID):
        return {
            "outcome": document["outcome"],
            "nothing_to_reconcile": document.get("nothing_to_reconcile"),
            "schools": [
                (row["school_number"], row["direction"], row["outcome"], row["dry_run"], row["counts"])
                for row in document["schools"]
            ],
            "left_out": [(row["school_number"], row["reason"]) for row in document["left_out"]],
        }
    if dag_id == ROLLBACK_DAG_ID:
        return {
            "outcome": document.get("outcome"),
            "status": document.get("status"),
            "deleted": document.get("deleted"),
        }
    return {"status": document["status"], "dry_run": document["dry_run"], "counts": document["counts"]}


# --------------------------------------------------------------------------- the runs


def trigger(api: RestClient, dag_id: str, conf: Mapping[str, Any], logical_date: datetime | None = None,
            run_id: str | None = None) -> str:  # fmt: skip
    """A run triggered as a script would, through ``POST /api/v2/dags/{dag_id}/dagRuns``; its run id."""
    body: dict[str, Any] = {"logical_date": (logical_date or datetime.now(UTC)).isoformat(), "conf": dict(conf)}
    if run_id is not None:
        body["dag_run_id"] = run_id
    return api.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"]


def finished(airflow: AirflowServices, api: RestClient, dag_id: str, run_id: str) -> Outcome:
    """The run once it has ended, as the REST API gives it, with its task instances' states."""
    path = f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}"

    def ended() -> str | None:
        state = api.call("GET", path)["state"]
        return state if state in ("success", "failed") else None

    state = airflow.wait_until(f"{dag_id} run {run_id} to end", ended, RUN_TIMEOUT)
    return Outcome(dag_id, run_id, state, task_states(airflow, dag_id, run_id))


def task_states(airflow: AirflowServices, dag_id: str, run_id: str) -> dict[tuple[str, int], str | None]:
    return {(ti.task_id, ti.map_index): ti.state for ti in airflow.task_instances(dag_id, run_id)}


def dags_test(dag_id: str, conf: Mapping[str, Any], logical_date: datetime | None = None) -> Outcome:
    """The same run through ``dag.test()``, one task after another, as ``airflow dags test`` runs it."""
    run = parsed_dag(dag_id).test(run_conf=dict(conf), logical_date=logical_date or datetime.now(UTC))
    return Outcome(dag_id, run.run_id, str(run.state))


# --------------------------------------------------------------------------- the fixture that runs them all


def new_district(conn: psycopg.Connection, root: Path, name: str) -> District:
    suffix = uuid.uuid4().hex[:8]
    district = District(name, f"sis_{name}_{suffix}", f"ab_{name}_{suffix}", root / name / "reports",
                        root / name / "staging")  # fmt: skip
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(district.schema)))
    create_sis_schema(conn, district.schema)
    generate_demo_district(conn, district.schema, students_per_school=SANDBOX_STUDENTS, seed=SANDBOX_SEED)
    return district


def in_background(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    """``work`` on a thread of its own; what it raised is kept for the caller to raise."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 (handed back to the test's thread)
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, errors


@pytest.fixture(scope="module")
def matrix(
    sis_server: SisConnection, airflow_metadata: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    root = tmp_path_factory.mktemp("scheduler_matrix")
    result = Matrix()
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn, pytest.MonkeyPatch.context() as mp:
        s = new_district(conn, root, "s")
        t = new_district(conn, root, "t")
        result.s, result.s_district = Sandbox(conn, s.schema, s.pipeline_schema, s.reports), s
        task_env = {
            **s.environment(sis_server),
            "ATTENDANCE_BRIDGE_TIMEZONE": "UTC",
            "ATTENDANCE_BRIDGE_RETRY_DELAY_SECONDS": "1",
            # The district DAGs' default mode: report; apply comes from a run's conf.
            "ATTENDANCE_BRIDGE_END_OF_TERM_MODE": "report",
            "ATTENDANCE_BRIDGE_NIGHTLY_MODE": "report",
        }
        for name, value in {**task_env, **s.environment(sis_server)}.items():
            mp.setenv(name, value)
        try:
            with running_airflow(
                sis_server, ROOT / "dags", root / "home", wait_for_dag=SYNC_DAG_ID, extra_env=task_env
            ) as airflow:
                for dag_id in DAG_IDS:
                    airflow.wait_for_dag(dag_id)
                api = airflow.rest_client()
                for dag_id in DAG_IDS:
                    api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
                run_the_matrix(result, airflow, api, s, t, sis_server, mp)
            yield result
        finally:
            for district in (s, t):
                for schema in (district.schema, district.pipeline_schema):
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


READ_ONLY = {
    "sync dry run": (SYNC_DAG_ID, SYNC_DRY, None),
    "end of term, report mode": (END_OF_TERM_DAG_ID, {"mode": "report"}, YEAR_END),
    "nightly, report mode": (NIGHTLY_DAG_ID, {}, WORK_NIGHT),
    "nightly, quiet night": (NIGHTLY_DAG_ID, {}, QUIET_NIGHT),
}


def run_the_matrix(
    result: Matrix, airflow: AirflowServices, api: RestClient, s: District, t: District, server: SisConnection,
    mp: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Every run on S through the scheduler and the same under dag.test(); see the module's docstring."""
    assert result.s is not None
    # The read-only runs, all at once on the scheduler; the same under dag.test() on S meanwhile.
    result.sis_before_read_only = snapshot(result.s)
    triggered = {name: trigger(api, dag_id, conf, when) for name, (dag_id, conf, when) in READ_ONLY.items()}
    unservable = trigger(api, SYNC_DAG_ID, {"school_number": 100, "year": 35}, run_id=UNSERVABLE_RUN)
    for name, (dag_id, conf, when) in READ_ONLY.items():
        outcome = dags_test(dag_id, conf, when)
        outcome.said = what_it_says(s.reports, dag_id, outcome.run_id)
        result.dags_test[name] = outcome
    for name, (dag_id, _, _) in READ_ONLY.items():
        outcome = finished(airflow, api, dag_id, triggered[name])
        outcome.said = what_it_says(s.reports, dag_id, outcome.run_id)
        result.scheduler[name] = outcome

    # A run id the REST API cannot address ('.'): its state from the metadata database.
    def dot_run() -> list:
        return [run for run in airflow.dag_runs(SYNC_DAG_ID) if run.run_id == unservable]

    airflow.wait_until("the run '.' to end", lambda: [run for run in dot_run() if run.state in ("success", "failed")],
                       RUN_TIMEOUT)  # fmt: skip
    [dot] = dot_run()
    result.scheduler["run id '.'"] = Outcome(
        SYNC_DAG_ID, dot.run_id, dot.state, task_states(airflow, SYNC_DAG_ID, dot.run_id)
    )
    result.sis_after_read_only = snapshot(result.s)

    # The runs that write: on S through the scheduler (a thread of its own), on T under dag.test() meanwhile.
    def on_the_scheduler() -> None:
        runs = {
            "sync apply (run id with ':')": trigger(api, SYNC_DAG_ID, SYNC_100, run_id=COLON_RUN),
            "sync apply (run id with '_')": trigger(api, SYNC_DAG_ID, SYNC_200, run_id=UNDERSCORE_RUN),
        }
        for name, run_id in runs.items():
            result.scheduler[name] = finished(airflow, api, SYNC_DAG_ID, run_id)
        for name, conf in (("rollback, plan only", {"dry_run": True}), ("rollback", {})):
            run_id = trigger(api, ROLLBACK_DAG_ID, {"school_number": 100, "run_id": COLON_RUN, **conf})
            result.scheduler[name] = finished(airflow, api, ROLLBACK_DAG_ID, run_id)
        for name, dag_id, when in (
            ("nightly, apply mode", NIGHTLY_DAG_ID, WORK_NIGHT_AGAIN),
            ("end of term, apply mode", END_OF_TERM_DAG_ID, YEAR_END_AGAIN),
        ):  # fmt: skip
            result.scheduler[name] = finished(airflow, api, dag_id, trigger(api, dag_id, {"mode": "apply"}, when))
        run_id = trigger(api, FINISH_RUN_DAG_ID, {"school_number": 200, "run_id": UNDERSCORE_RUN})
        result.scheduler["finish a run"] = finished(airflow, api, FINISH_RUN_DAG_ID, run_id)

        correct_a_monday_record(result.s)
        for name, conf, when in (
            ("nightly, follows a correction (report mode)", {}, NEXT_NIGHT),
            ("nightly, follows a correction (apply mode)", {"mode": "apply"}, NEXT_NIGHT_AGAIN),
        ):
            result.scheduler[name] = finished(airflow, api, NIGHTLY_DAG_ID, trigger(api, NIGHTLY_DAG_ID, conf, when))

    thread, errors = in_background(on_the_scheduler)
    for name, value in t.environment(server).items():
        mp.setenv(name, value)
    twin = {}
    twin["sync apply (run id with ':')"] = dags_test(SYNC_DAG_ID, SYNC_100)
    twin["sync apply (run id with '_')"] = dags_test(SYNC_DAG_ID, SYNC_200)
    first = twin["sync apply (run id with ':')"].run_id
    twin["rollback, plan only"] = dags_test(ROLLBACK_DAG_ID, {"school_number": 100, "run_id": first, "dry_run": True})
    twin["rollback"] = dags_test(ROLLBACK_DAG_ID, {"school_number": 100, "run_id": first})
    twin["nightly, apply mode"] = dags_test(NIGHTLY_DAG_ID, {"mode": "apply"}, WORK_NIGHT_AGAIN)
    twin["end of term, apply mode"] = dags_test(END_OF_TERM_DAG_ID, {"mode": "apply"}, YEAR_END_AGAIN)
    second = twin["sync apply (run id with '_')"].run_id
    twin["finish a run"] = dags_test(FINISH_RUN_DAG_ID, {"school_number": 200, "run_id": second})
    correct_a_monday_record(Sandbox(result.s.conn, t.schema, t.pipeline_schema, t.reports))
    twin["nightly, follows a correction (report mode)"] = dags_test(NIGHTLY_DAG_ID, {}, NEXT_NIGHT)
    twin["nightly, follows a correction (apply mode)"] = dags_test(NIGHTLY_DAG_ID, {"mode": "apply"}, NEXT_NIGHT_AGAIN)
    for name, outcome in twin.items():
        if outcome.dag_id != FINISH_RUN_DAG_ID:
            outcome.said = what_it_says(t.reports, outcome.dag_id, outcome.run_id)
    result.dags_test.update(twin)
    thread.join(timeout=RUN_TIMEOUT * 8)
    assert not thread.is_alive(), "the scheduler's runs did not end"
    if errors:
        raise errors[0]
    for name, outcome in result.scheduler.items():
        if outcome.dag_id != FINISH_RUN_DAG_ID and outcome.run_id != UNSERVABLE_RUN and outcome.said is None:
            outcome.said = what_it_says(s.reports, outcome.dag_id, outcome.run_id)


def correct_a_monday_record(box: Sandbox) -> None:
    """A teacher changes the code of the first of Monday 6 October's records of school 200 that the apply night
    built a Daily copy from (the same record in both districts: the generator's ids), to another code of the year."""
    [(source, code)] = box.q(
        "SELECT s.id, (SELECT min(c.id) FROM {sis}.attendance_code AS c WHERE c.schoolid = 200 AND c.yearid = 35 "
        "AND c.id <> s.attendance_codeid) FROM {pipeline}.lineage AS l "
        "JOIN {sis}.attendance AS s ON s.id = l.source_attendance_id WHERE l.school_number = 200 "
        "AND l.table_name = 'attendance' AND l.att_date = '2025-10-06' AND l.rolled_back_at IS NULL "
        "ORDER BY s.id LIMIT 1"
    )
    box.q("UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(i)s", c=code, i=source)


# --------------------------------------------------------------------------- the checks

GREEN_RUNS = [*READ_ONLY, "sync apply (run id with ':')", "sync apply (run id with '_')", "rollback, plan only",
              "rollback", "nightly, apply mode", "end of term, apply mode", "finish a run",
              "nightly, follows a correction (report mode)", "nightly, follows a correction (apply mode)"]  # fmt: skip


@pytest.mark.parametrize("name", GREEN_RUNS)
def test_every_dag_in_every_mode_ends_green_through_the_scheduler(matrix: Matrix, name: str) -> None:
    outcome = matrix.scheduler[name]
    assert outcome.state == "success", (name, outcome.task_states)
    assert outcome.task_states, name
    # Never failed, never upstream_failed: a skipped backup and load is a dry run's normal path.
    assert {state for state in outcome.task_states.values()} <= GREEN, (name, outcome.task_states)
    assert matrix.dags_test[name].state == "success", name


@pytest.mark.parametrize("name", [name for name in GREEN_RUNS if name != "finish a run"])
def test_each_run_s_report_says_what_the_same_run_says_under_dags_test(matrix: Matrix, name: str) -> None:
    assert matrix.scheduler[name].said is not None, f"the run {name} left no report"
    assert matrix.scheduler[name].said == matrix.dags_test[name].said


def test_dry_runs_and_report_mode_write_nothing_and_skip_only_the_backup_and_the_load(matrix: Matrix) -> None:
    assert matrix.sis_after_read_only == matrix.sis_before_read_only
    for name in ("sync dry run", "end of term, report mode", "nightly, report mode"):
        skipped = {task.rsplit(".", 1)[-1] for (task, _), state in matrix.scheduler[name].task_states.items()
                   if state == "skipped"}  # fmt: skip
        assert skipped == {"back_up_school_records", "load_missing_records"}, name
    said = matrix.scheduler["sync dry run"].said
    assert said["dry_run"] is True and said["counts"]["candidates"] > 0 and said["counts"]["inserted"] == 0
    nights = matrix.scheduler["nightly, report mode"].said["schools"]
    assert [(school, direction, outcome) for school, direction, outcome, _, _ in nights] == [
        (100, "meeting_to_daily", "succeeded"), (100, "daily_to_meeting", "succeeded"),
        (200, "meeting_to_daily", "succeeded"),
    ]  # fmt: skip
    assert sum(counts["candidates"] for *_, counts in nights) > 0


def test_a_quiet_night_has_a_summary_that_says_nothing_to_reconcile(matrix: Matrix) -> None:
    said = matrix.scheduler["nightly, quiet night"].said
    assert said is not None, "the quiet night left no summary"
    assert said["schools"] == [] and said["outcome"] == "succeeded"
    assert said["nothing_to_reconcile"] == "nothing to reconcile on 2026-07-15: no school's year covers that day"


def test_the_apply_runs_land_and_the_rollback_removes_exactly_its_run_s_records(matrix: Matrix) -> None:
    box = matrix.s
    assert box is not None
    colon, underscore = (
        matrix.scheduler[name].said for name in ("sync apply (run id with ':')", "sync apply (run id with '_')")
    )
    assert colon["counts"]["inserted"] > 0 and underscore["counts"]["inserted"] > 0
    rollback = matrix.scheduler["rollback"].said
    assert rollback["deleted"]["attendance"] == colon["counts"]["inserted"]
    assert matrix.scheduler["rollback, plan only"].said["outcome"] == "planned"
    apply_nights = matrix.scheduler["nightly, apply mode"].said["schools"]
    assert sum(counts["inserted"] for *_, counts in apply_nights) > 0
    year_end = matrix.scheduler["end of term, apply mode"].said["schools"]
    assert sum(counts["inserted"] for *_, counts in year_end) > 0


def test_run_ids_that_differ_only_in_colon_and_underscore_keep_their_own_reports_and_records(matrix: Matrix) -> None:
    box, district = matrix.s, matrix.s_district
    assert box is not None and district is not None
    reports = reports_by_run(district.reports)
    colon, underscore = reports[(SYNC_DAG_ID, COLON_RUN)], reports[(SYNC_DAG_ID, UNDERSCORE_RUN)]
    assert colon["_folder"] != underscore["_folder"]
    assert (colon["school_number"], colon["resolved"]["direction"]) == (100, "daily_to_meeting")
    assert (underscore["school_number"], underscore["resolved"]["direction"]) == (200, "meeting_to_daily")
    # Each loaded its own school's records, in its own mode, under its own run id.
    lineage = dict(
        box.q(
            "SELECT l.run_id, array_agg(DISTINCT a.schoolid::text || ' ' || a.att_mode_code) "
            "FROM {pipeline}.lineage l JOIN {sis}.attendance a ON a.id = l.row_id "
            "WHERE l.table_name = 'attendance' AND l.run_id IN (%(a)s, %(b)s) AND l.rolled_back_at IS NULL "
            "GROUP BY l.run_id",
            a=COLON_RUN, b=UNDERSCORE_RUN,
        )
    )  # fmt: skip
    # The first was rolled back afterwards: only the second's rows are still in the SIS.
    assert lineage == {UNDERSCORE_RUN: ["200 ATT_ModeDaily"]}
    built = dict(
        box.q(
            "SELECT run_id, count(*) FROM {pipeline}.lineage WHERE table_name = 'attendance' "
            "AND run_id IN (%(a)s, %(b)s) GROUP BY run_id",
            a=COLON_RUN, b=UNDERSCORE_RUN,
        )
    )  # fmt: skip
    assert built == {COLON_RUN: colon["counts"]["inserted"], UNDERSCORE_RUN: underscore["counts"]["inserted"]}


def test_a_run_id_airflow_cannot_serve_is_refused_with_its_run_log_closed(matrix: Matrix) -> None:
    box, district = matrix.s, matrix.s_district
    assert box is not None and district is not None
    dot = matrix.scheduler["run id '.'"]
    assert dot.state == "failed"
    assert dot.task_states[("check_parameters", -1)] == "failed"
    [(status, message)] = box.q(
        "SELECT status, message FROM {pipeline}.run_log WHERE dag_id = %(d)s AND run_id = %(r)s",
        d=SYNC_DAG_ID, r=UNSERVABLE_RUN,
    )  # fmt: skip
    assert (status, message) == ("failed", unservable_run_id(SYNC_DAG_ID, UNSERVABLE_RUN))
    # It left no report and staged nothing: no file of it sits where another run's could.
    assert (SYNC_DAG_ID, UNSERVABLE_RUN) not in reports_by_run(district.reports)
    folder = run_folder_name(SYNC_DAG_ID, UNSERVABLE_RUN)
    assert not list(district.reports.glob(f"*/{folder}")) and not list(district.staging.rglob(encoded(UNSERVABLE_RUN)))


def test_a_night_follows_a_correction_of_the_night_before_in_report_and_apply_mode(matrix: Matrix) -> None:
    for name in ("nightly, follows a correction (report mode)", "nightly, follows a correction (apply mode)"):
        nights = {
            (school, direction): counts for school, direction, _, _, counts in matrix.scheduler[name].said["schools"]
        }
        assert nights[(200, "meeting_to_daily")]["recoded"] == 1, name
    skipped = {
        task.rsplit(".", 1)[-1]
        for (task, _), state in matrix.scheduler["nightly, follows a correction (report mode)"].task_states.items()
        if state == "skipped"
    }
    assert skipped == {"back_up_school_records", "load_missing_records"}
    box = matrix.s
    assert box is not None
    # Applied: the Monday copy carries its source's new code (F3), and the night's run says it looked back.
    assert box.q("SELECT count(*) FROM {pipeline}.followed WHERE action = 'recode' AND att_date = '2025-10-06'") == [
        (1,)
    ]
    assert box.q(
        "SELECT count(*) FROM {pipeline}.lineage AS l JOIN {sis}.attendance AS a ON a.id = l.row_id "
        "JOIN {sis}.attendance AS s ON s.id = l.source_attendance_id WHERE l.school_number = 200 "
        "AND l.table_name = 'attendance' AND l.att_date = '2025-10-06' AND a.attendance_codeid <> s.attendance_codeid"
    ) == [(0,)]
