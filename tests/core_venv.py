"""A core-only environment built in seconds, offline: a fresh venv holding the toolkit's wheel and, linked from this
venv's site-packages, exactly the distributions the core install needs (the wheel's requirements without an extra,
followed through each installed distribution's own requirements, as pip would resolve them).  Nothing of an extra
is importable there.
"""

from __future__ import annotations

import re
import subprocess
import sys
import venv
import zipfile
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_requirements(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of a wheel's metadata."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        return HeaderParser().parsestr(archive.read(name).decode("utf-8")).get_all("Requires-Dist") or []


def core_distributions(wheel: Path) -> dict[str, metadata.Distribution]:
    """The installed distributions the wheel's core requirements reach (the toolkit itself left out)."""
    todo = [(Requirement(line), ()) for line in wheel_requirements(wheel)]
    found: dict[str, metadata.Distribution] = {}
    while todo:
        requirement, extras = todo.pop()
        if requirement.marker and not any(requirement.marker.evaluate({"extra": e}) for e in extras or ("",)):
            continue
        name = _canonical(requirement.name)
        if name in found and not requirement.extras:
            continue
        distribution = found.get(name) or metadata.distribution(requirement.name)
        found[name] = distribution
        todo += [(Requirement(line), tuple(requirement.extras)) for line in distribution.requires or ()]
    return found


def empty_venv(folder: Path) -> tuple[Path, Path]:
    """A fresh venv at ``folder`` with nothing installed (no pip): its python and its site-packages."""
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    return python, site_packages


def core_venv(folder: Path, wheel: Path) -> Path:
    """The venv at ``folder`` with ``wheel`` installed (no deps) and the core's distributions linked; its bin/."""
    python, site_packages = empty_venv(folder)
    for distribution in core_distributions(wheel).values():
        root = Path(distribution.locate_file(""))
        tops = {Path(file).parts[0] for file in distribution.files or () if not str(file).startswith("..")}
        for top in tops - {"__pycache__"}:
            if (root / top).exists() and not (site_packages / top).exists():
                (site_packages / top).symlink_to(root / top)
    install = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet"]
    subprocess.run([*install, wheel], check=True, capture_output=True)
    return folder / "bin"
