"""The district summary task of the end of term and the nightly bridge (``wiring.write_district_summary``)."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException
from attendance_bridge import wiring


class NoPlan:
    """A task instance whose planning task left nothing in XCom (it failed)."""

    def xcom_pull(self, **_: object) -> None:
        return None


def test_a_run_whose_schools_could_not_be_found_fails_instead_of_reconciling_nothing() -> None:
    # all_done: the summary runs after a failed plan; ending as a success would hide the failure
    # (the DAG run's state is its last task's).
    with pytest.raises(AirflowFailException, match="find_schools_to_reconcile, which finds the schools"):
        wiring.write_district_summary({"ti": NoPlan()}, None)
