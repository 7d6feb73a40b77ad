"""The parameters the DAGs share, declared once: the sync's and the end of term's "Absences from Daily"
(D2, D7), the end of term's and the nightly bridge's report-or-apply mode. A DAG file imports this
with ``wiring``: Airflow's ``Param`` and the settings only, nothing heavy."""

from __future__ import annotations

from airflow.sdk import Param

from attendance_bridge.config import ABSENT_PERIODS_OPTIONS, ALL_PERIODS, END_OF_TERM_MODES


def absent_periods_param(description: str) -> Param:
    """The "Absences from Daily" parameter (D2, D7) of the sync and the end of term, ``all_periods`` by default."""
    return Param(
        ALL_PERIODS,
        type="string",
        enum=list(ABSENT_PERIODS_OPTIONS),
        values_display={
            "all_periods": "All periods of the day",
            "bridge_period_only": "Bridge period only",
            "untaken_periods": "Bridge period and periods whose attendance was not taken",
        },
        title="Absences from Daily",
        description=description,
    )


def mode_param(default: str) -> Param:
    """The report-or-apply parameter of the end of term and the nightly bridge (``default``: the district's)."""
    return Param(
        default,
        type="string",
        enum=list(END_OF_TERM_MODES),
        values_display={
            "report": "Report: dry runs, nothing written to the SIS",
            "apply": "Apply: add the missing records (backup first)",
        },
        title="Mode",
        description="Report: every school's sync is a dry run. Apply: the missing records are added.",
    )
