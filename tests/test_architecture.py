"""The package's architecture, checked from its source: layers, one import direction, no cycle, small modules,
and SQL that binds its values.

The layers (README, "Layout"), lowest first; a module imports only from layers below its own, or from its
own subpackage, function-level imports included:

    config, catalog, errors  <-  domain  <-  checks | db | reporting  <-  tasks  <-  wiring  <-  dags
                                                                        (database_setup: the operator's command)

``checks``, ``db`` and ``reporting`` never import one another; ``domain`` is pandas and the standard library
only; nothing in production imports ``dev``, and ``dev`` never imports the Airflow tasks.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plugins" / "attendance_bridge"

NAME = "attendance_bridge"
# About the size of the largest module of the projects this one learns from (STYLE.md).
LARGEST_MODULE_LINES = 400

# Each top-level part of the package and its layer: a module may import its own part and lower layers.
LAYERS = {
    "config": 0, "catalog": 0, "errors": 0, "process_clock": 0, "__init__": 0,
    "domain": 1,
    "checks": 2, "db": 2, "reporting": 2,
    "tasks": 3, "database_setup": 3,
    "ui": 4,
    "wiring": 4, "dag_params": 4, "celery_config": 4, "worker_preload": 4,
    "dev": 5,
}  # fmt: skip
# What domain may import from outside the package: its code is pure (no Airflow, no database, no files).
DOMAIN_THIRD_PARTY = {"pandas", "numpy"}
# dev runs the real DAGs through bin/airflow, never by importing the tasks.
DEV_MAY_NOT_IMPORT = {"tasks", "wiring"}


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import in a module, inside functions too; a name imported from a
    package is the submodule when there is one, else the package."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield (candidate if candidate in known else base), node.lineno


def part_of(module: str) -> str:
    """The top-level part of the package a module belongs to (``attendance_bridge.db.load`` -> ``db``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def package_imports() -> list[tuple[str, str, int]]:
    """(importer, imported, line) for every import of the package's own modules."""
    known = set(modules())
    return [
        (module, imported, line)
        for module, path in modules().items()
        for imported, line in imports_of(path, known)
        if imported == NAME or imported.startswith(f"{NAME}.")
    ]


def layer_offences(edges: list[tuple[str, str, int]]) -> list[str]:
    """Imports against the layer direction."""
    offences = []
    for importer, imported, line in edges:
        source, target = part_of(importer), part_of(imported)
        if source == target:
            continue
        if source == "dev" and target in DEV_MAY_NOT_IMPORT:
            offences.append(f"{importer}:{line} imports {imported}: dev code never runs the tasks in-process")
        elif LAYERS[target] >= LAYERS[source] and not (LAYERS[source] == LAYERS[target] == 0):
            offences.append(f"{importer}:{line} imports {imported}: against the layer direction ({source} -> {target})")
    return offences


def cycles(edges: list[tuple[str, str, int]]) -> list[list[str]]:
    """The import cycles among the package's modules (strongly connected components of more than one)."""
    graph: dict[str, set[str]] = {}
    for importer, imported, _ in edges:
        if importer != imported and not importer.startswith(f"{imported}."):  # a package's own __init__
            graph.setdefault(importer, set()).add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_part_of_the_package_has_a_layer() -> None:
    assert {part_of(module) for module in modules()} <= set(LAYERS)


def test_imports_follow_the_layers_function_level_imports_included() -> None:
    assert layer_offences(package_imports()) == []


def test_the_check_recognises_an_import_against_the_layers_and_a_cycle() -> None:
    upward = [("attendance_bridge.reporting.pages", "attendance_bridge.tasks.sync", 3)]
    sideways = [("attendance_bridge.db.load", "attendance_bridge.checks.gx", 5)]
    into_dev = [("attendance_bridge.tasks.sync", "attendance_bridge.dev.demo", 9)]
    assert len(layer_offences(upward + sideways + into_dev)) == 3
    assert layer_offences([("attendance_bridge.tasks.sync", "attendance_bridge.db.load", 1)]) == []
    circle = [("attendance_bridge.a", "attendance_bridge.b", 1), ("attendance_bridge.b", "attendance_bridge.a", 2)]
    assert cycles(circle) == [["attendance_bridge.a", "attendance_bridge.b"]]


def test_there_is_no_import_cycle() -> None:
    assert cycles(package_imports()) == []


@pytest.mark.parametrize("module", sorted(name for name in modules() if not name.endswith("__main__")))
def test_every_module_imports(module: str) -> None:
    # A name moved out of a module fails here, not in the middle of a DAG run.
    import importlib

    importlib.import_module(module)


def test_domain_code_is_pandas_and_the_standard_library_only() -> None:
    import sys

    offences = [
        f"{module}: imports {imported}"
        for module, path in modules().items()
        if part_of(module) == "domain"
        for imported, _ in imports_of(path, set(modules()))
        if not imported.startswith(NAME)
        and imported.split(".")[0] not in DOMAIN_THIRD_PARTY | set(sys.stdlib_module_names) | {"__future__"}
    ]
    assert offences == []


@pytest.mark.parametrize("module", sorted(name for name in modules() if part_of(name) != "dev"))
def test_no_production_module_is_over_about_400_lines(module: str) -> None:
    lines = len(modules()[module].read_text().splitlines())
    assert lines <= LARGEST_MODULE_LINES, f"{module} has {lines} lines: split it by job"


# --------------------------------------------------------------------------- SQL is bound, never formatted


# What a SQL statement looks like (not every capitalised word: "COPY's text format" is prose).
SQL_WORDS = re.compile(
    r"\bSELECT\b.*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\S+\s+SET\b|\bDELETE\s+FROM\b|\bTRUNCATE\b"
    r"|\b(DROP|CREATE|ALTER)\s+(TABLE|SCHEMA|INDEX|ROLE|VIEW)\b|\bCOPY\s+\S+.*\b(FROM|TO)\s+STD(IN|OUT)\b",
    re.DOTALL,
)
# Placeholders the SQL files may hold: identifiers (schemas, a table, a column list), filled by
# psycopg's sql.SQL(...).format with sql.Identifier; values are always %(name)s parameters.
IDENTIFIER_PLACEHOLDERS = {"schema", "sis_schema", "pipeline_schema", "table", "columns"} | {
    # A run's X6 snapshot tables, named in its manifest (backup_<n>_attendance...).
    "attendance_table", "attendance_time_table",
    # The literals: the text of COMMENT ON and the login's password in ALTER ROLE, which take no bound
    # parameter, quoted by sql.Literal.
    "comment", "password",
} | {
    # The database setup's (include/sql/roles/): roles, the database, an id sequence, and an object of the
    # pipeline schema named by the catalog (format %I, regprocedure), already quoted.
    "database", "role", "owner", "login", "sequence", "object",
    # The rollback's row expression: the row's alias, or ROW(alias.column, ...) of quoted columns.
    "attendance_row", "attendance_time_row",
} | {
    # The benchmark's (bench/): its scratch schema, the schemas it copies between and the copies it compares.
    "scratch", "source", "target", "table_name", "column_name", "pipeline_copy", "reference_copy",
}  # fmt: skip


def _is_psycopg_sql(node: ast.expr) -> bool:
    """``sql.SQL(...)`` (or ``SQL(...)``), possibly ``.join``-ed or ``.format``-ted."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        node = node.func.value
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr in ("SQL", "Composed")) or (
        isinstance(func, ast.Name) and func.id == "SQL"
    )


def _formats_text(node: ast.expr) -> bool:
    """An f-string, ``%`` or ``+`` on text, or ``str.format``: a statement built by pasting values."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and not _is_psycopg_sql(node)
    )


def sql_formatting_offences(source: str, path: str) -> list[str]:
    """Where a module builds SQL text from values instead of binding them."""
    offences = []
    for node in ast.walk(ast.parse(source)):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # The statement given to execute / executemany / copy, or wrapped in sql.SQL(...).
            if (
                node.func.attr in ("execute", "executemany", "copy", "SQL")
                and node.args
                and _formats_text(node.args[0])
            ):
                offences.append(f"{where}: {node.func.attr}() of a statement built from text")
            # load_sql(...).format(...): a SQL file's text formatted as a Python string.
            if node.func.attr == "format" and isinstance(node.func.value, ast.Call):
                inner = node.func.value.func
                if isinstance(inner, ast.Name) and inner.id == "load_sql":
                    offences.append(f"{where}: load_sql(...).format() formats SQL as text")
        # Any f-string or text formatted with % / .format whose text is SQL.
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
            if SQL_WORDS.search(text):
                offences.append(f"{where}: an f-string of SQL")
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and SQL_WORDS.search(node.left.value)
        ):
            offences.append(f"{where}: SQL text formatted with %")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
            and isinstance(node.func.value.value, str)
            and SQL_WORDS.search(node.func.value.value)
        ):
            offences.append(f"{where}: SQL text formatted with str.format")
    return offences


def test_the_check_recognises_sql_built_from_values() -> None:
    bad = (
        'conn.execute(f"SELECT * FROM attendance WHERE id = {x}")\n'
        'cursor.execute("SELECT * FROM t WHERE a = %s" % x)\n'
        'conn.execute(load_sql("q").format(schema=s))\n'
        'statement = "DELETE FROM t WHERE id = {}".format(x)\n'
        'conn.execute(sql.SQL("SELECT " + column))\n'
    )
    assert len(sql_formatting_offences(bad, "example.py")) >= 5
    good = (
        'conn.execute(sql.SQL(load_sql("q")).format(schema=sql.Identifier(s)), {"id": x})\n'
        'conn.execute(load_sql("q"), {"id": x})\n'
        'message = f"school {school} has no year term"\n'
    )
    assert sql_formatting_offences(good, "example.py") == []


def test_no_module_formats_values_into_sql() -> None:
    offences = [
        offence
        for path in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "bench").rglob("*.py")])
        for offence in sql_formatting_offences(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert offences == []
    # The SQL files' {placeholders} are identifiers only; values are %(name)s parameters.
    placeholders = {
        name
        for path in (ROOT / "include" / "sql").rglob("*.sql")
        for name in re.findall(r"\{(\w*)\}", path.read_text())
    }
    assert placeholders <= IDENTIFIER_PLACEHOLDERS
