"""Great Expectations' Data Docs pages, made to work offline.

GX 1.24's page templates load jQuery, Bootstrap, Bootstrap Table and a date picker from
public CDNs. Auditors often read reports from a file share or a district server without
internet access (this project's CI machine has none), where those pages render unstyled and
their scripts fail ("$ is not defined"). This module copies the same packages, at the same
versions, from ``include/data_docs_assets/`` (taken from the npm registry, see the README
there) into the site and points every page at them with a relative link, so the site opens
from ``file://`` or any static web server. Other CDN links (icons, the GX logo, the chart
libraries, which our suites' pages do not use) are left as they are: without network they
leave an icon out, never a script error.

Where GX's tag carries a subresource integrity hash, the kept file must have that very hash
(so it is byte for byte what the CDN serves); the attribute is then dropped with its
``crossorigin``, which a browser refuses for ``file://`` pages.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from pathlib import Path

from attendance_bridge.settings import PROJECT_ROOT

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
    # GX asks for 1.19.0's stylesheet of the extension beside 1.19.1's script; 1.19.1's is used.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
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
