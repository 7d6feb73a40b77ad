"""Issue 18, point 2, on the tiny school: SIS text in a failed validation is text in the Data Docs.

GX writes a validation's offending rows into its pages as they are; a bell schedule's name, an
attendance code, a presence status or a bridge pref from the SIS would be markup there. The site
is rendered from a copy of the results with those values escaped, every page gets a
Content-Security-Policy, and what the audit keeps (the gate's messages and results, GX's store)
still holds the plain text. (That nothing runs in a browser is tests/tasks/test_hostile_text.py.)
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from attendance_bridge.checks import DATA_DOCS_FOLDER, GX_STORE_FOLDER, build_run_data_docs, validate_preconditions
from attendance_bridge.checks.data_docs import GX_LOGO, REMOVED, escaped_results, with_policy

from tests.checks.test_quality_gate import SOUND_PREFS, items_with, prefs
from tests.support.tiny_school import EXCUSED, MON, TARDY, THU, daily, school, tables

RUN_ID = "manual__2026-12-06T10:00:00+00:00"


def payload(field: str) -> str:
    return f"<b>{field}</b>\"'><svg onload=alert(1)><script>alert(2)</script>&amp;"


def refused_site(docs: Path):
    """P4, P5 and P6 refused on the tiny school, each naming SIS text that is markup; the outcome."""
    raw = tables()
    schedules = raw["bell_schedule"].assign(name=[payload("regular"), payload("early")])
    codes = raw["attendance_code"]
    codes = codes.assign(
        att_code=codes["att_code"].where(codes["id"] != TARDY, payload("code")),
        presence_status_cd=codes["presence_status_cd"].where(codes["id"] != TARDY, payload("status")),
    )
    frames = school(
        daily(1, 1, MON, EXCUSED), daily(2, 2, MON, TARDY),
        bell_schedule=schedules, bell_schedule_items=items_with(5), attendance_code=codes,
    )  # fmt: skip
    rows = [(name, payload("pref") if name == "ATT_MeetingDailyBridge" else value) for name, value in SOUND_PREFS]
    outcome = validate_preconditions(frames, prefs(rows), 100, MON, THU, RUN_ID, docs_folder=docs)
    build_run_data_docs(docs, RUN_ID)
    return outcome


def test_sis_text_is_no_markup_in_any_page_and_plain_in_the_audit(tmp_path: Path) -> None:
    outcome = refused_site(tmp_path)

    assert [check.rule for check in outcome.failures()] == ["P4", "P5", "P6"]
    names = [payload(field) for field in ("pref", "early", "code", "status")]
    # The refusal and the audit JSON hold the plain text (report.html escapes it once).
    messages = " ".join(check.message for check in outcome.failures())
    assert all(name in messages for name in names)
    labels = [
        row["label"]
        for result in outcome.results["preconditions_bell_schedules"]["results"]
        for row in result["result"].get("unexpected_index_list") or []
    ]
    assert labels == [f"the bell schedule '{payload('early')}' (id 2, first used on 2025-09-02)"]
    # So does GX's own store: only the copy the site is rendered from is escaped.
    stored = "".join(path.read_text() for path in (tmp_path / GX_STORE_FOLDER / "validations").rglob("*.json"))
    assert json.dumps(payload("early"))[1:-1] in stored

    pages = list((tmp_path / DATA_DOCS_FOLDER).rglob("*.html"))
    assert len(pages) > 5
    shown = ""
    for page in pages:
        content = page.read_text()
        for needle in (*names, "<svg", "<script>alert", "<b>"):
            assert needle not in content, (page.name, needle)
        # Each page says what it may run, before anything runs.
        head = re.search(r"<head>\s*(<meta[^>]*>)", content)
        assert head and 'http-equiv="Content-Security-Policy"' in head[1], page.name
        assert not [url for url in REMOVED if url in content] and GX_LOGO not in content, page.name
        shown += content
    # The names are on the validation pages, escaped once (the text a browser shows is the name).
    for name in names:
        assert html.escape(name, quote=True) in shown, name
        assert html.escape(html.escape(name)) not in shown, name


@pytest.mark.parametrize(
    "value",
    ["<b>Early</b>", 'O\'Brien & "Sons"', "&lt;already&gt;", "plain", ""],
)
def test_escaped_results_give_the_values_back_exactly_and_leave_keys_and_config(value: str) -> None:
    document = {
        "meta": {"run_id": {"run_name": RUN_ID}},
        "results": [
            {
                "expectation_config": {"type": "expect_column_values_to_be_in_set", "kwargs": {"value_set": ["<x>"]}},
                "result": {
                    "unexpected_index_list": [{"label": value, "bridge_items": 0}],
                    "partial_unexpected_list": [value, None, 3],
                    "unexpected_index_column_names": ["label", "bridge_items"],
                },
                "exception_info": {"exception_message": value, "raised_exception": False},
                "success": False,
            }
        ],
    }
    escaped = escaped_results(document)
    [outcome] = escaped["results"]
    assert outcome["result"]["unexpected_index_list"] == [{"label": html.escape(value), "bridge_items": 0}]
    assert outcome["result"]["partial_unexpected_list"] == [html.escape(value), None, 3]
    assert html.unescape(outcome["exception_info"]["exception_message"]) == value
    assert not re.search(r"[<>\"']", json.dumps(outcome["result"]).replace('\\"', "").replace('"', ""))
    # Our suite's configuration and the run's identity are not data: as they were.
    assert outcome["expectation_config"] == document["results"][0]["expectation_config"]
    assert escaped["meta"] == document["meta"]
    assert document["results"][0]["result"]["partial_unexpected_list"][0] == value  # the input is untouched


def test_the_policy_allows_gx_own_scripts_and_handlers_only() -> None:
    page = (
        "<html><head><title>t</title><script>function showAllValidations() {}</script></head><body>"
        '<button onclick="showAllValidations()">all</button><button onclick="alert(1)">x</button>'
        "<table><tr><td><div><script>alert(2)</script></div></td></tr></table></body></html>"
    )
    protected = with_policy(page)
    policy = html.unescape(re.search(r'Content-Security-Policy" content="([^"]+)"', protected)[1])
    hashes = set(re.findall(r"'sha256-[^']+'", policy))
    # GX's script and GX's handler; not the other handler, not the script in a table cell.
    assert len(hashes) == 2
    assert "script-src 'self' 'unsafe-hashes'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert "default-src 'none'" in policy and "base-uri 'none'" in policy and "form-action 'none'" in policy
    assert with_policy(protected) == protected  # set once
