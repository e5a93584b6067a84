"""Zip archives that depend only on their content: sorted entries, fixed dates and permissions.

Codabench takes bundles and submissions as zip files.  Building the same bundle
twice from the same inputs gives the same bytes, so that a bundle can be
checked against another build, and a changed bundle means changed content.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
FILE_MODE = 0o644 << 16
COMPRESSION_LEVEL = 9


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip of ``{path: content}``, entries in path order, each dated 1980-01-01 and readable by everyone."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            entry = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            entry.external_attr = FILE_MODE
            entry.create_system = 3  # unix, so that the permissions above are read as such
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, files[name], compresslevel=COMPRESSION_LEVEL)
    return buffer.getvalue()
