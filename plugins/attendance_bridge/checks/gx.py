"""The Great Expectations runtime of the gate: GX imported quietly, an ephemeral context with the
run's stores, a suite run on its frame, and each expectation's verdict in words.

Great Expectations is imported only here and only when a gate runs (``import_gx``), with its
loggers quieted: it is slow to import (4-5 s), the DAG file must parse without it, and it logs
some 200 INFO lines while importing. Every other module of ``checks`` stays cheap to import.

The candidates' frame can hold a million rows, so it has no label: GX lists its offenders by
row number and only those get a label afterwards. Each expectation's ``meta`` carries its rule
id, whether it is critical, a description and the sentence template a failure is reported with.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from attendance_bridge.errors import PreconditionFailed, SuiteLoadError
from attendance_bridge.process_clock import spare_new_imports

log = logging.getLogger(__name__)
# How many offending objects a failure message names before it says "and N more".
NAMED_IN_MESSAGE = 5
# GX logs at INFO while it is imported (~200 lines from _docs_decorators alone), and
# data_context.types.base sets its own logger to INFO on import; Airflow's task log would show
# them all. Both are set to WARNING before the import and again after it.
GX_LOGGERS = ("great_expectations", "great_expectations.data_context.types.base")
# A run's Data Docs: GX's stores (the suites and every validation result of the run, as JSON
# files) and the static HTML site GX renders from them, side by side in one folder.
GX_STORE_FOLDER = "gx_store"
DATA_DOCS_FOLDER = "data_docs"
DATA_DOCS_SITE = "run_site"
# Row numbers -> the labels naming those rows (for frames too large to carry a label column).
Labeller = Callable[[Sequence[int]], list[str]]


@dataclass(frozen=True)
class CheckResult:
    """One expectation's verdict, in words."""

    rule: str
    suite: str
    expectation: str
    description: str
    critical: bool
    passed: bool
    message: str


@dataclass(frozen=True)
class ValidationOutcome:
    """Every check of a gate and Great Expectations' full results (for the audit)."""

    checks: tuple[CheckResult, ...]
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        """No critical check failed."""
        return not self.failures()

    def failures(self) -> list[CheckResult]:
        """The failed critical checks."""
        return [check for check in self.checks if check.critical and not check.passed]

    def raise_for_failure(self, school_number: int) -> None:
        """Refuse the run: "P5 failed for school 100: ... P6 failed for school 100: ...".

        Every failed rule is named with its objects, in the order of the checks; the message
        (and the exception's ``rule``) starts with the first one.
        """
        failures = self.failures()
        if not failures:
            return
        by_rule: dict[str, list[str]] = {}
        for check in failures:
            by_rule.setdefault(check.rule, []).append(check.message)
        (first, first_messages), *others = by_rule.items()
        detail = " ".join(
            [*first_messages, *(str(PreconditionFailed(rule, school_number, " ".join(m))) for rule, m in others)]
        )
        raise PreconditionFailed(first, school_number, detail)


# --------------------------------------------------------------------------- running the suites


def run_suites(
    frames: Mapping[str, pd.DataFrame],
    load_suite: Callable[[str], Any],
    run_name: str,
    values: Mapping[str, Any],
    labellers: Mapping[str, Labeller] | None = None,
    docs_folder: Path | None = None,
) -> ValidationOutcome:
    """Run each suite on its frame in one ephemeral GX context; checks in words, results in full.

    ``frames`` maps a suite's name to the frame it judges; ``load_suite`` gives the suite of a
    name as GX's ExpectationSuite with the run's ``values`` filled in (``checks.suites``).

    With ``docs_folder`` (a local folder), the context keeps its suites and validation results
    as files in ``docs_folder/gx_store``, where both gates of a run add theirs;
    ``build_run_data_docs`` renders the run's site from them once, when the run is reported (a
    gate's render cost 0.65 s on the critical path, twice per run). The results of a validation
    are in the store as GX wrote them (offenders by row number); the audit JSON returned here
    has the labels.

    A frame with a labeller in ``labellers`` (the candidates) has no ``label`` column and no
    ``unexpected_index_column_names``: for those GX reads every offending row one by one with
    ``DataFrame.at`` in Python, which took 30 s per two failed checks on 900,000 records, text
    label or integer column alike; without them it lists the offenders' index, a row number
    (under a second). The first 20 offenders per check get their label afterwards, in the
    messages and in the results kept for the audit.
    """
    gx = import_gx()
    context = gx_context(docs_folder, run_name)
    from great_expectations.core.run_identifier import RunIdentifier

    run_id = RunIdentifier(run_name=run_name)
    checks: list[CheckResult] = []
    results: dict[str, Any] = {}
    # Named for the school; each asset for the SIS table its frame judges (the suite's meta.table),
    # so a Data Docs page says whose data it checked: "school_100-calendar_day".
    source = context.data_sources.add_pandas(f"school_{values.get('school_number', 'unknown')}")
    for name, frame in frames.items():
        suite = load_suite(name)
        # add_or_update: a retried task finds its suites in the run's store already.
        suite = _stored(context.suites.add_or_update(suite), len(suite.expectations))
        asset = (suite.meta or {}).get("table") or name
        definition = source.add_dataframe_asset(asset).add_batch_definition_whole_dataframe(f"run {run_name}")
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=definition, suite=suite)
        )
        # COMPLETE lists every offender; the candidates can be hundreds of thousands of rows,
        # so there the first twenty (SUMMARY), found by row number, name enough of them.
        # The precondition frames are small, so every column rides along to fill the messages.
        labeller = (labellers or {}).get(name)
        result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
        if not labeller:
            result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": list(frame.columns)}
        # The run's values go in as GX's expectation parameters: kept with the result, they fill
        # the offenders' sentences of the Data Docs as they fill the messages here.
        result = validation.run(
            batch_parameters={"dataframe": _for_gx(frame)},
            expectation_parameters=dict(values),
            result_format=result_format,
            run_id=run_id,
        )
        document = result.to_json_dict()
        if labeller:
            _name_offenders(document, frame, labeller)
            if docs_folder is not None:
                _store_named(context, result, document, run_id)
        results[name] = document
        checks.extend(_checks(name, document, values))
    return ValidationOutcome(tuple(checks), results)


def _stored(suite: Any, loaded: int) -> Any:
    """The suite as the context's store gave it back, refused if it lost an expectation on the way."""
    if len(suite.expectations) != loaded:
        raise SuiteLoadError(
            f"the expectation suite {suite.name} had {loaded} expectations but Great Expectations stored "
            f"{len(suite.expectations)}; fix the file before running the gate"
        )
    return suite


def _name_offenders(document: Mapping[str, Any], frame: pd.DataFrame, labeller: Labeller) -> None:
    """GX's row numbers of offenders (at most 20 per check) as {row, checked value, label}."""
    for outcome in document["results"]:
        result = outcome.get("result") or {}
        rows = [int(row) for row in result.get("partial_unexpected_index_list") or []]
        if not rows:
            continue
        column = outcome["expectation_config"]["kwargs"]["column"]
        values = frame[column].iloc[rows].tolist()
        result["partial_unexpected_index_list"] = [
            {"row": row, column: value, "label": label}
            for row, value, label in zip(rows, values, labeller(rows), strict=True)
        ]


def _store_named(context: Any, result: Any, document: Mapping[str, Any], run_id: Any) -> None:
    """The result kept again in the run's store, its offenders named as in ``document``.

    GX stored it with the offenders by row number; the Data Docs list them by label (the first 20).
    """
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    for outcome, named in zip(result.results, document["results"], strict=True):
        listed = (named.get("result") or {}).get("partial_unexpected_index_list")
        if listed and outcome.result is not None:
            outcome.result["partial_unexpected_index_list"] = listed
    suite = ExpectationSuiteIdentifier(name=result.suite_name)
    batch = document["results"][0]["expectation_config"]["kwargs"]["batch_id"]
    key = ValidationResultIdentifier(expectation_suite_identifier=suite, run_id=run_id, batch_identifier=batch)
    context.validation_results_store.store_validation_results(result, key, suite)


def import_gx() -> Any:
    """great_expectations, imported with its loggers at WARNING (see ``GX_LOGGERS``)."""
    for name in GX_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    first = "great_expectations" not in sys.modules
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        import great_expectations.data_context.types.base  # re-levels its logger on import
    for name in GX_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if first:
        # What this process paid for GX before its work could go on (process_clock.GX_IMPORT_PATTERN).
        log.info("Great Expectations imported in %.2f s", time.perf_counter() - started)
        spare_new_imports()
    return gx


def gx_context(docs_folder: Path | None = None, run_name: str = "", store: Path | None = None) -> Any:
    """An ephemeral GX context without progress bars or usage statistics.

    With ``docs_folder``, its suites and validation results are files under
    ``docs_folder/gx_store`` (or ``store``) and it has one Data Docs site, ``docs_folder/data_docs``, without
    GX's "how to" buttons and without profiling pages, listing the validations of ``run_name``
    (GX's default filter would hide a run whose name contains "profiling"). Data sources and validation definitions
    stay in memory: they hold the frames, and a retried task adds them again.
    """
    gx = import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    if docs_folder is None:
        context = gx.get_context(mode="ephemeral")
    else:
        defaults = InMemoryStoreBackendDefaults()
        store = store or docs_folder / GX_STORE_FOLDER
        for name, kind, folder in (
            (defaults.expectations_store_name, "ExpectationsStore", "expectations"),
            (defaults.validation_results_store_name, "ValidationResultsStore", "validations"),
        ):
            defaults.stores[name] = {
                "class_name": kind,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(store / folder)},
            }
        defaults.data_docs_sites = {
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_folder / DATA_DOCS_FOLDER),
                },
                **site_sections(run_name),
            }
        }
        context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(store_backend_defaults=defaults))
    # Progress bars would go into the task logs as hundreds of lines of carriage returns.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def site_sections(run_name: str) -> dict[str, Any]:
    """The run's site: the validations of ``run_name`` only, no profiling, pages made for an auditor.

    The renderer and view classes are ``checks.docs_rendering``'s, named by module for GX to
    import while it builds the site (it imports GX's renderers, so only then).
    """
    module = "attendance_bridge.checks.docs_rendering"
    page = {"module_name": module, "class_name": "OfflinePageView"}
    return {
        "site_index_builder": {
            "module_name": module,
            "class_name": "AuditorIndexBuilder",
            "renderer": {"module_name": module, "class_name": "AuditorIndexPage"},
            "view": {"module_name": module, "class_name": "OfflineIndexPageView"},
        },
        "site_section_builders": {
            "profiling": "None",
            "expectations": {"view": page},
            "validations": {
                "run_name_filter": {"equals": run_name},
                "renderer": {
                    "module_name": module,
                    "class_name": "AuditorValidationPage",
                    "column_section_renderer": {
                        "module_name": module,
                        "class_name": "AuditorColumnSection",
                        "table_renderer": {"module_name": module, "class_name": "AuditorResultsTable"},
                    },
                },
                "view": page,
            },
        },
    }


def _for_gx(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas 3 string columns as object columns, the dtype GX's pandas engine expects."""
    text = [column for column, dtype in frame.dtypes.items() if str(dtype) in ("str", "string")]
    return frame.astype({column: "object" for column in text}) if text else frame


def _checks(suite_name: str, document: Mapping[str, Any], values: Mapping[str, Any]) -> list[CheckResult]:
    """One CheckResult per expectation result, with a message naming the offending objects."""
    checks = []
    for outcome in document["results"]:
        configuration = outcome["expectation_config"]
        meta = configuration.get("meta") or {}
        passed = bool(outcome["success"])
        checks.append(
            CheckResult(
                rule=meta.get("rule", "?"),
                suite=suite_name,
                expectation=configuration["type"],
                description=configuration.get("description") or "",
                critical=is_critical(configuration),
                passed=passed,
                message="" if passed else _message(meta, configuration, outcome, values),
            )
        )
    return checks


def is_critical(configuration: Mapping[str, Any]) -> bool:
    """Whether a failure of the expectation stops the run: GX's ``severity`` is ``critical`` (the default).

    A ``warning`` (the data-quality checks, DQ) is reported, in the log, the run report and the
    Data Docs, and the run goes on.
    """
    return (configuration.get("severity") or "critical") == "critical"


def _message(
    meta: Mapping[str, Any], configuration: Mapping[str, Any], outcome: Mapping[str, Any], values: Mapping[str, Any]
) -> str:
    """The suite's sentence template, filled in for the first few offending objects.

    The template may name the offender's columns, ``{value}`` (the checked column's value)
    and the run's values (``{school_number}``, ``{target_mode}``).
    """
    if outcome.get("exception_info", {}).get("raised_exception"):
        return f"the check '{configuration.get('description') or configuration['type']}' could not run: " + str(
            outcome["exception_info"].get("exception_message")
        )
    result = outcome.get("result") or {}
    offenders = result.get("unexpected_index_list") or result.get("partial_unexpected_index_list") or []
    column = configuration["kwargs"].get("column")
    sentences = [offender_sentence(meta, column, row, values) for row in offenders[:NAMED_IN_MESSAGE]]
    count = int(result.get("unexpected_count") or len(offenders))
    more = f" (and {count - NAMED_IN_MESSAGE} more)" if count > NAMED_IN_MESSAGE else ""
    return "; ".join(sentences) + more + "."


def offender_sentence(
    meta: Mapping[str, Any], column: str | None, row: Mapping[str, Any], values: Mapping[str, Any]
) -> str:
    """The suite's sentence (``meta.message``) for one offending row, e.g. "the day 2025-09-01 has 2 calendar rows".

    The template may name the row's columns, ``{value}`` (the checked column's value) and the
    run's values (``{school_number}``, ``{target_mode}``); without a template, the label.
    """
    template = meta.get("message") or "{label}"
    return template.format(**{**values, **row, "value": row.get(column)})
