"""How a run's Data Docs speak to an auditor: Great Expectations' own renderer and view classes,
extended where GX lets a site configure them (``checks.gx.site_sections`` names them).

- Each expectation renders as the plain sentence its suite file gives it in GX's ``description``
  field (GX's own mechanism; nothing here rewrites it).
- A validation page names its data asset in words (``meta.table`` and ``meta.rows`` of the suite
  file), the school (the data source ``school_<n>``) and the run (GX's run name, the Airflow run id).
- The offenders of a failed check are listed by the object's label with the suite's sentence for
  each ("the day 2025-09-01 has 2 calendar rows ..."), instead of GX's table of derived values
  ("Unexpected Value EMPTY").
- A failed check whose ``severity`` is ``warning`` (DQ1) shows as a warning, on its page, in its
  page's status ("Passed with warnings") and on the index, as in the run report: the run went on.
- The pages come from GX's templates with three replaced (``include/data_docs_views/``): the
  navigation bar without GX's remote logo, no newsletter banner, no link to GX's website.

GX instantiates these classes by module and class name while it builds the site, so the module
imports GX at the top; only ``checks.data_docs`` names it, and only when a site is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from great_expectations.render import (
    CollapseContent,
    RenderedStringTemplateContent,
    RenderedTableContent,
)
from great_expectations.render.renderer.column_section_renderer import ValidationResultsColumnSectionRenderer
from great_expectations.render.renderer.content_block.validation_results_table_content_block import (
    ValidationResultsTableContentBlockRenderer,
)
from great_expectations.render.renderer.page_renderer import ValidationResultsPageRenderer
from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder
from great_expectations.render.renderer.site_index_page_renderer import SiteIndexPageRenderer
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache, ChoiceLoader, FileSystemLoader
from jinja2.bccache import Bucket

from attendance_bridge.catalog import without_rule_note
from attendance_bridge.checks.gx import is_critical, offender_sentence
from attendance_bridge.checks.suites import suite_document
from attendance_bridge.config import PROJECT_ROOT

# GX's templates replaced for this project's sites (see the module's docstring).
VIEWS_DIR = PROJECT_ROOT / "include" / "data_docs_views"
# How many offenders a check's page lists (the precondition frames list every one in the results).
LISTED_OFFENDERS = 50
WARNING = "warning"
WARNING_ICON = ["fas", "fa-exclamation-triangle", "text-warning"]


# ----------------------------------------------------------------------------- the verdicts


def only_warnings_failed(results: Any) -> bool:
    """A validation that failed only through warnings (``results``: GX's result or its JSON dict)."""
    outcomes = results["results"] if isinstance(results, Mapping) else results.results
    failed = [_config(outcome) for outcome in outcomes if not _field(outcome, "success")]
    return bool(failed) and not any(is_critical(config) for config in failed)


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name)


def _config(outcome: Any) -> dict[str, Any]:
    config = _field(outcome, "expectation_config")
    return config if isinstance(config, Mapping) else config.to_json_dict()


@cache
def _suite_meta(name: str) -> dict[str, Any]:
    try:
        return suite_document(name).get("meta") or {}
    except FileNotFoundError:
        return {}


# ----------------------------------------------------------------------------- the pages


class AuditorValidationPage(ValidationResultsPageRenderer):
    """GX's validation page, its overview naming the asset in words and a warning as a warning."""

    @classmethod
    def _render_validation_header(cls, validation_results: Any) -> Any:
        header = super()._render_validation_header(validation_results)
        params = header.subheader.string_template["params"]
        definition = validation_results.meta.get("active_batch_definition") or {}
        meta = _suite_meta(validation_results.suite_name)
        school = str(definition.get("datasource_name", "")).replace("school_", "school ")
        run = (validation_results.meta.get("run_id") or {}).get("run_name", "")
        asset = definition.get("data_asset_name") or meta.get("table") or ""
        params["data_asset_name"] = f"{asset}: {meta.get('rows', '')}, {school}, run {run}".replace(" ,", ",")
        if only_warnings_failed(validation_results):
            params["success"] = "Passed with warnings"
            params["html_success_icon"] = f'<i class="{" ".join(WARNING_ICON)}" aria-hidden="true"></i>'
        return header


class AuditorColumnSection(ValidationResultsColumnSectionRenderer):
    """A section per checked column, headed by the rule and the objects it judges ("P5: days")."""

    @classmethod
    def _render_header(cls, validation_results: Any) -> Any:
        remaining, block = super()._render_header(validation_results)
        block.header.string_template["template"] = _section_title(validation_results)
        return remaining, block

    def render(self, validation_results: Any, suite_parameters: Any = None) -> Any:
        section = super().render(validation_results, suite_parameters)
        section.section_name = _section_title(validation_results)
        return section


def _section_title(validation_results: Any) -> str:
    """ "P5: Every school day in the range has a bell schedule": the rule and its check in words."""
    configs = [_config(outcome) for outcome in validation_results]
    rules = ", ".join(dict.fromkeys((config.get("meta") or {}).get("rule", "?") for config in configs))
    described = [config["description"] for config in configs if config.get("description")]
    if not described:
        return rules
    sentence = without_rule_note(described[0]).removesuffix(".")
    return f"{rules}: {sentence}" + (f" (and {len(described) - 1} more)" if len(described) > 1 else "")


class AuditorResultsTable(ValidationResultsTableContentBlockRenderer):
    """GX's table of a section's checks, with the offenders by label and warnings as warnings."""

    @classmethod
    def _get_content_block_fn(cls, expectation_type: str, expectation_config: Any = None) -> Any:
        make_rows = super()._get_content_block_fn(expectation_type, expectation_config)

        def rows(configuration: Any = None, result: Any = None, runtime_configuration: Any = None, **kwargs: Any):
            rendered = make_rows(configuration=configuration, result=result,
                                 runtime_configuration=runtime_configuration, **kwargs)  # fmt: skip
            if result is None or result.success:
                return rendered
            config = result.expectation_config.to_json_dict()
            for row in rendered:
                if not is_critical(config):
                    row[0] = _warning_icon()
                if isinstance(row[1], list):
                    row[1] = [*_without_gx_offenders(row[1]), *_offenders(config, result, kwargs)]
            return rendered

        return rows


def _warning_icon() -> RenderedStringTemplateContent:
    return RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={
            "template": "$icon",
            "params": {"icon": "", "markdown_status_icon": "⚠"},
            "styling": {"params": {"icon": {"tag": "i", "classes": WARNING_ICON}}},
        },
    )


def _without_gx_offenders(cell: list[Any]) -> list[Any]:
    """A check's cell without GX's table of unexpected values and its pandas query."""
    return [block for block in cell if not isinstance(block, (RenderedTableContent, CollapseContent))]


def _offenders(config: Mapping[str, Any], result: Any, parameters: Mapping[str, Any]) -> list[Any]:
    """The failed check's offenders: each object's label and the suite's sentence for it."""
    found = result.result or {}
    offenders = found.get("unexpected_index_list") or found.get("partial_unexpected_index_list") or []
    meta = config.get("meta") or {}
    column = config["kwargs"].get("column")
    values = dict(parameters.get("suite_parameters") or {})
    rows = [_offender_row(meta, column, row, values) for row in offenders[:LISTED_OFFENDERS]]
    if not rows:
        return []
    count = int(found.get("unexpected_count") or len(offenders))
    title = f"{count} {'object' if count == 1 else 'objects'} failed" + (
        f"; the first {len(rows)} are listed" if count > len(rows) else ""
    )
    return [
        RenderedTableContent(
            content_block_type="table",
            header=RenderedStringTemplateContent(
                content_block_type="string_template", string_template={"template": title, "tag": "h6"}
            ),
            header_row=[meta.get("objects") or "Object", "What is wrong"],
            table=rows,
            styling={"body": {"classes": ["table-bordered", "table-sm", "mt-3"]}},
        )
    ]


def _offender_row(meta: Mapping[str, Any], column: str | None, row: Any, values: Mapping[str, Any]) -> list[str]:
    """[label, sentence] of one offender; a row GX listed by number only (no label) says so."""
    if not isinstance(row, Mapping):
        return [f"row {row}", ""]
    try:
        sentence = offender_sentence(meta, column, row, values)
    except (KeyError, IndexError, ValueError):  # a result written before the suite's sentence changed
        sentence = ""
    return [str(row.get("label", row.get("row", ""))), sentence]


# ----------------------------------------------------------------------------- the index


class AuditorIndexBuilder(DefaultSiteIndexBuilder):
    """GX's index builder; a validation that failed only through warnings is marked so."""

    def add_resource_info_to_index_links_dict(self, index_links_dict: Any, expectation_suite_name: str,
                                              section_name: str, *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        if section_name == "validations" and kwargs.get("validation_success") is False:
            validation = self.data_context.get_validation_result(
                batch_identifier=kwargs["batch_identifier"],
                expectation_suite_name=expectation_suite_name,
                run_id=kwargs["run_id"],
                validation_results_store_name=self.source_stores.get("validations"),
            )
            if validation and only_warnings_failed(validation):
                kwargs["validation_success"] = WARNING
        return super().add_resource_info_to_index_links_dict(
            index_links_dict, expectation_suite_name, section_name, *args, **kwargs
        )


class AuditorIndexPage(SiteIndexPageRenderer):
    """GX's index page; a warning's icon is a warning sign, not a failure's cross."""

    @classmethod
    def _render_validation_success_cell(cls, validation_success: Any) -> Any:
        cell = super()._render_validation_success_cell(validation_success)
        if validation_success == WARNING:
            cell.string_template["styling"]["params"]["validation_success"]["classes"] = [
                *WARNING_ICON,
                "ge-warning-icon",
            ]
        return cell

    @classmethod
    def _generate_validation_results_link_table(cls, index_links_dict: Any) -> Any:
        """GX's table of validations; the status filter says "Passed with warnings" for a warning."""
        table = super()._generate_validation_results_link_table(index_links_dict)
        links = index_links_dict.get("validations_links", [])
        for row, link in zip(table.table_data, links, strict=True):
            if link.get("validation_success") == WARNING:
                row["_validation_success_text"] = "Passed with warnings"
        return table


# ----------------------------------------------------------------------------- offline templates


class _CompiledTemplates(BytecodeCache):
    """The templates the site's views compiled, kept in this process for the views after them.

    GX gives each view of a site a Jinja environment of its own, which compiles every template it
    renders again: 50 compilations of 23 templates per site. Jinja's bytecode cache hands a
    template compiled by one view to the next (a run's site: 0.30 s instead of 0.40 s here); an
    entry is keyed by the template's name and file and used only while its source is the same
    (Jinja compares a checksum). Nothing leaves the process.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._compiled:
            bucket.bytecode_from_string(self._compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


class _OfflineTemplates:
    """GX's Jinja view with this project's templates looked up first (``VIEWS_DIR``), sharing compiled templates."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.env.loader = ChoiceLoader([FileSystemLoader(str(VIEWS_DIR)), self.env.loader])
        self.env.bytecode_cache = _COMPILED_TEMPLATES


class OfflinePageView(_OfflineTemplates, DefaultJinjaPageView):
    """A suite's or a validation's page."""


class OfflineIndexPageView(_OfflineTemplates, DefaultJinjaIndexPageView):
    """The site's index page."""
