"""A run's Great Expectations Data Docs: one static site rendered from the run's GX store, made to
work offline and to carry no markup from the data.

``build_run_data_docs`` renders the site once per run, from the results both gates kept in the
run's store (``checks.gx``), then prunes, localises and protects it as follows.

GX 1.24's page templates load jQuery, Bootstrap, Bootstrap Table and a date picker from
public CDNs. Auditors often read reports from a file share or a district server without
internet access (this project's CI machine has none), where those pages render unstyled and
their scripts fail ("$ is not defined"). This module copies the same packages, at the same
versions, from ``include/data_docs_assets/`` (taken from the npm registry, see the README
there) into the site and points every page at them with a relative link, so the site opens
from ``file://`` or any static web server.

Where GX's tag carries a subresource integrity hash, the kept file must have that very hash
(so it is byte for byte what the CDN serves); the attribute is then dropped with its
``crossorigin``, which a browser refuses for ``file://`` pages.

GX writes the values of a validation result (the offending rows of our frames: a bell
schedule's name, an attendance code, a pref's value, all read from the SIS) into its pages'
tables as they are, so they are markup there. ``escaped_results`` escapes them in the copy of
the results a site is rendered from (the store keeps them as validated), and ``protect`` gives
every page a Content-Security-Policy that runs only the site's own scripts: the vendored
files, GX's inline scripts (never one inside a table cell, where the data goes) and GX's three
inline button handlers, each by hash. What GX loads from the internet that the policy would
refuse, and the pages do not need, is removed: the chart libraries (our suites draw no chart),
a dark-mode stylesheet, and the GX logo's address. The pages' wording, their warnings and the
templates without GX's logo, newsletter banner and website link are ``checks.docs_rendering``'s.
See docs/decisions.md, "Data Docs per run".
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attendance_bridge.checks.gx import DATA_DOCS_FOLDER, DATA_DOCS_SITE, GX_STORE_FOLDER, gx_context
from attendance_bridge.config import PROJECT_ROOT

log = logging.getLogger(__name__)


def build_run_data_docs(docs_folder: Path, run_name: str) -> tuple[Path, float]:
    """Render run ``run_name``'s Data Docs site from the results its gates kept in ``docs_folder``.

    Returns the site's index page and the seconds it took. Without results in the store (a run
    stopped before its first gate) the site has no validation page.

    GX writes result values into its pages as markup, and they hold SIS text (a bell schedule's
    name, a code, a pref's value). So the site is rendered from a copy of the store whose
    results have their values HTML-escaped (``escaped_results``); the store
    itself, like the audit JSON, keeps them as validated.
    """
    with tempfile.TemporaryDirectory(prefix="gx_rendered_from_") as copy:
        store = _escaped_store(docs_folder / GX_STORE_FOLDER, Path(copy))
        return _build_data_docs(gx_context(docs_folder, run_name, store), run_name, docs_folder)


def _escaped_store(store: Path, copy: Path) -> Path:
    """``store`` copied into ``copy``, every validation result's values HTML-escaped; the copy."""
    if store.is_dir():
        shutil.copytree(store, copy, dirs_exist_ok=True)
    for path in (copy / "validations").glob("**/*.json"):
        path.write_text(json.dumps(escaped_results(json.loads(path.read_text()))))
    return copy


def _build_data_docs(context: Any, run_name: str, docs_folder: Path) -> tuple[Path, float]:
    """Render the run's Data Docs site from the store; its index page and the seconds it took.

    The site is rebuilt whole (not only this gate's pages): GX's index lists the pages that have
    a result in the store and removes the others, so the store must, and does, hold the run's
    every result. Static files no page or stylesheet names (two animated GIFs of GX's tutorial,
    3.3 MB of the 4 MB GX copies) are removed, so each run's site stays small.
    """
    started = time.perf_counter()
    site = docs_folder / DATA_DOCS_FOLDER
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    _prune_static(site)
    # GX's pages load jQuery and Bootstrap from CDNs; the site carries its own copies.
    localise(site)
    # Last, as it hashes the pages' inline scripts as they are: each page's Content-Security-Policy.
    protect(site)
    seconds = time.perf_counter() - started
    log.info("Data Docs of run %s rebuilt in %.2f s: %s", run_name, seconds, site / "index.html")
    return site / "index.html", seconds


def _prune_static(site: Path) -> None:
    """Remove the files under ``site/static`` whose name no page or stylesheet of the site mentions."""
    static = site / "static"
    pages = [path for path in site.rglob("*") if path.suffix in (".html", ".css") and path.is_file()]
    text = "\n".join(path.read_text(errors="replace") for path in pages)
    for path in static.rglob("*"):
        if path.is_file() and path.suffix != ".css" and path.name not in text:
            path.unlink()
    for folder in sorted((p for p in static.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


# ----------------------------------------------------------------- offline: the vendored packages


ASSETS_DIR = PROJECT_ROOT / "include" / "data_docs_assets"
# Inside the site: site/static/vendor/<file>.
VENDOR_FOLDER = Path("static") / "vendor"
# The CDN address a GX 1.24 page uses -> the file of the same package and version kept here.
VENDORED: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper-1.12.9.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table-filter-control-1.19.1.min.js"
    ),
    # GX asks for 1.19.0's stylesheet of the extension beside 1.19.1's script (minified on the
    # index, not on the validation pages); 1.19.1's is used.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table-filter-control-1.19.1.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table-filter-control-1.19.1.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0.min.css"
    ),
    # The pass/fail icons of the pages; the stylesheet finds its fonts in ../webfonts/.
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
}


def localise(site: Path) -> int:
    """Copy the vendored files the site's pages use into it and link them relatively; pages changed."""
    pages = [path for path in site.rglob("*.html") if path.is_file()]
    vendor = site / VENDOR_FOLDER
    changed = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        used = [url for url in VENDORED if url in text]
        if not used:
            continue
        for url in used:
            target = vendor / VENDORED[url]
            if not target.exists():
                _copy(VENDORED[url], vendor)
            local = Path(os.path.relpath(target, page.parent)).as_posix()
            text = _TAG.sub(lambda tag, u=url, f=target, l=local: _relink(tag[0], u, f, l), text)
        page.write_text(text, encoding="utf-8")
        changed += 1
    return changed


def _copy(name: str, vendor: Path) -> None:
    """A kept file into the site's vendor folder; a file in a package folder brings the whole folder."""
    package = Path(name).parts[0]
    if package != name:
        shutil.copytree(ASSETS_DIR / package, vendor / package, dirs_exist_ok=True)
    else:
        vendor.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ASSETS_DIR / name, vendor / name)


_TAG = re.compile(r"<(?:script|link)\b[^>]*>")
_INTEGRITY = re.compile(r'\s+integrity="([^"]*)"')
_CROSSORIGIN = re.compile(r'\s+crossorigin="[^"]*"')


def _relink(tag: str, url: str, kept: Path, local: str) -> str:
    """One script or link tag pointed at the kept file, its integrity hash checked and dropped."""
    if url not in tag:
        return tag
    expected = _INTEGRITY.search(tag)
    if expected:
        algorithm, _, digest = expected[1].partition("-")
        actual = base64.b64encode(hashlib.new(algorithm, kept.read_bytes()).digest()).decode()
        if actual != digest:
            raise ValueError(f"{kept.name} is not the file {url} serves (integrity {expected[1]}, kept file {actual})")
    return _CROSSORIGIN.sub("", _INTEGRITY.sub("", tag)).replace(url, local)


# ----------------------------------------------------------------- no markup from the data, no foreign script

# The script and style tags of GX's pages that load from the internet what the policy refuses
# and the pages do not need: the chart libraries (no suite of ours draws a chart) and a
# dark-mode stylesheet. Removed with their tag.
REMOVED: tuple[str, ...] = (
    "https://cdn.jsdelivr.net/npm/vega@5",
    "https://cdn.jsdelivr.net/npm/vega-lite@5",
    "https://cdn.jsdelivr.net/npm/vega-embed@6",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
)
# GX's logo is an image on GX's server whose address carries the time and the data context's
# id. The site's navigation bar (include/data_docs_views/top_navbar.j2) no longer shows it; GX's
# dark-theme stylesheet still names it as a background image, and any page that would still
# carry it loses the address here (a second line of defence).
GX_LOGO = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
# The inline event handlers GX's templates write (the index's "show failed only" buttons, a
# table's "clear filters"). Only these run ('unsafe-hashes' with their hashes); any other
# handler in a page, such as an onerror= that slipped in with the data, is refused.
GX_HANDLERS = re.compile(r"hideSucceededValidations\(\)|showAllValidations\(\)|clearTableFilters\('[\w-]+'\)")
# The policy of every page of the site: scripts from the site's own files and the inline
# scripts GX wrote (by hash), GX's own handlers; styles, images and fonts from the site; no
# plugin, no <base>, no form, no request anywhere else.
SITE_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-hashes' {hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'"
)
# The keys of a validation result (one expectation's) that hold values from the validated frame.
RESULT_VALUE_KEYS = ("result", "exception_info")


def escaped_results(document: Mapping[str, Any]) -> dict[str, Any]:
    """A GX validation result (as JSON) with every value that came from the data HTML-escaped.

    The values are each expectation's ``result`` (offending rows and values) and its
    ``exception_info``; dictionary keys (column names) and the expectation's configuration (our
    suite files) are left as they are. ``html.unescape`` gives the values back exactly.
    """
    return {
        **document,
        "results": [
            {key: (_escaped(value) if key in RESULT_VALUE_KEYS else value) for key, value in outcome.items()}
            for outcome in document.get("results") or []
        ],
    }


def _escaped(value: Any) -> Any:
    """Every string inside ``value`` (lists and dicts walked, keys kept) HTML-escaped, quotes too."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, Mapping):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


def protect(site: Path) -> int:
    """Remove what the site's pages load from the internet needlessly and give each its policy; pages changed."""
    changed = 0
    for page in (path for path in site.rglob("*") if path.suffix in (".html", ".css") and path.is_file()):
        text = page.read_text(encoding="utf-8")
        protected = _without_foreign_loads(text)
        protected = with_policy(protected) if page.suffix == ".html" else protected
        if protected != text:
            page.write_text(protected, encoding="utf-8")
            changed += page.suffix == ".html"
    return changed


def with_policy(page: str) -> str:
    """The page with a Content-Security-Policy meta as the first element of its head (before any script)."""
    head = _HEAD.search(page)
    if head is None:
        raise ValueError("a Data Docs page without <head>: its policy cannot be set")
    if page[head.end() :].lstrip().startswith(_POLICY_META):
        return page  # set by an earlier pass
    # GX writes the data into table cells; a script in a cell is never GX's own, so never allowed.
    scripts = [match[1] for match in _INLINE_SCRIPT.finditer(page) if not _in_table_cell(page, match.start())]
    handlers = {html.unescape(match[1]) for match in _HANDLER.finditer(page)}
    hashes = " ".join(sorted({_source_hash(code) for code in [*scripts, *filter(GX_HANDLERS.fullmatch, handlers)]}))
    meta = f'{_POLICY_META} content="{html.escape(SITE_POLICY.format(hashes=hashes))}">'
    return page[: head.end()] + "\n" + meta + page[head.end() :]


def _in_table_cell(page: str, position: int) -> bool:
    """Whether ``position`` of the page lies inside a <td> (more cells opened than closed before it)."""
    before = page[:position]
    return len(_CELL_OPEN.findall(before)) > len(_CELL_CLOSE.findall(before))


def _without_foreign_loads(page: str) -> str:
    """The page (or stylesheet) without the tags of ``REMOVED`` and without the GX logo's address."""
    for url in REMOVED:
        quoted = re.escape(f'"{url}"')
        page = re.sub(rf"<script\b[^>]*{quoted}[^>]*>\s*</script>\s*|<link\b[^>]*{quoted}[^>]*>\s*", "", page)
    page = _LOGO_URL.sub("none", page)  # the dark theme's logo, a background image
    return _IMG.sub(lambda tag: _LOGO_SRC.sub("", tag[0]), page)


def _source_hash(code: str) -> str:
    """The CSP hash source of an inline script or handler ('sha256-...')."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode() + "'"


_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_POLICY_META = '<meta http-equiv="Content-Security-Policy"'
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_HANDLER = re.compile(r"\son[a-z]+=\"([^\"]*)\"", re.IGNORECASE)
_CELL_OPEN = re.compile(r"<td\b", re.IGNORECASE)
_CELL_CLOSE = re.compile(r"</td\s*>", re.IGNORECASE)
_IMG = re.compile(r"<img\b[^>]*>", re.DOTALL | re.IGNORECASE)
_LOGO_URL = re.compile(r"url\(['\"]?" + re.escape(GX_LOGO) + r"[^)]*\)")
_LOGO_SRC = re.compile(r'\s+src="' + re.escape(GX_LOGO) + r'[^"]*"')
