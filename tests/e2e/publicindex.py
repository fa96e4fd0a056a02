"""A static stand-in for PyPI's simple API, served like the built site: `simple/<name>/` pages
linking wheels with their sha256, so tools that always consult "PyPI" (pipenv's default source,
Poetry, uv) can run offline. `make_wheel` writes a minimal pure-Python wheel, such as a public twin
of a private name.
"""

from __future__ import annotations

import base64
import hashlib
import html
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename


def make_wheel(directory: Path, name: str, version: str, module: str, code: str) -> Path:
    """`name` `version` as a `py3-none-any` wheel holding `module.py` with `code`."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{module}.py": code,
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def write_public_index(root: Path, wheels: Iterable[Path]) -> Path:
    """A PEP 503 tree under `root` (`simple/…`, `files/…`) listing `wheels`; returns `root`."""
    by_name: dict[str, list[Path]] = {}
    (root / "files").mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        shutil.copy2(wheel, root / "files" / wheel.name)
        by_name.setdefault(canonicalize_name(parse_wheel_filename(wheel.name)[0]), []).append(wheel)
    links = []
    for name, files in sorted(by_name.items()):
        anchors = []
        for wheel in sorted(files):
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            href = html.escape(f"../../files/{wheel.name}#sha256={digest}")
            anchors.append(f'<a href="{href}">{html.escape(wheel.name)}</a><br>')
        page = root / "simple" / name / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<!DOCTYPE html>\n<html><body>\n" + "\n".join(anchors) + "\n</body></html>\n")
        links.append(f'<a href="{name}/">{name}</a><br>')
    (root / "simple" / "index.html").write_text(
        "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n"
    )
    return root
