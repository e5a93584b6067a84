"""``toolkit publish``: upload a built dataset folder to the Hugging Face Hub, byte for byte.

The folder is checked first (a `toolkit build` output whose card parses and whose
data files are exactly the ones the card lists), so what is uploaded is what was
built and tested.  The token comes from ``HF_TOKEN`` and is never printed.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from toolkit.built import BUILD_MANIFEST, COMPILED_FOLDER
from toolkit.errors import ConfigurationError, InputError, ServerError, mention
from toolkit.files import file_sha256
from toolkit.pathguard import special_kind

TOKEN_VARIABLE = "HF_TOKEN"
REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")
TRUE_VALUES = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class UploadFile:
    path: str
    size: int
    sha256: str


def _local_only(relative: Path) -> bool:
    """The gold compiled for the local scorer (`toolkit.scoring.gold.compiled`) and the list of files a build wrote:
    derived, not part of the published dataset.
    """
    return relative.parts[0] in (COMPILED_FOLDER, BUILD_MANIFEST)


def regular_files(folder: Path) -> list[Path]:
    """Every file inside ``folder``, sorted; a symbolic link or a special file anywhere in it is refused, named.

    The Hub gets the folder's own bytes: a link could point anywhere (``/etc/passwd``), so none is followed.
    """
    files = []
    for root, folders, names in os.walk(folder):
        for name in sorted(folders + names):
            path = Path(root) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                raise InputError(
                    f"{path}: is a symbolic link (expected only regular files in a built folder; "
                    "publish uploads the folder's own files and never follows a link)"
                )
            kind = special_kind(info.st_mode)
            if kind:
                raise InputError(f"{path}: is {kind} (expected only regular files in a built folder)")
            if stat.S_ISREG(info.st_mode):
                files.append(path)
    return sorted(files)


def check_repo_id(repo: str, parameter: str = "repo") -> str:
    """``repo`` if it is a Hub repo id ``ORG/NAME`` (so also safe to show in Markdown or code), else `InputError`."""
    if not REPO_ID.fullmatch(repo) or ".." in repo or repo.endswith((".", "-")):
        raise InputError(
            f"{repo!r} is not a Hub repo id (expected ORG/NAME of letters, digits, '-', '_', '.')", parameter=parameter
        )
    return repo


def upload_plan(folder: Path) -> list[UploadFile]:
    """Every file that would be uploaded, with size and SHA-256; raises if the folder is not a complete build."""
    from huggingface_hub import DatasetCard

    from toolkit.dataset.blind import refuse_private
    from toolkit.dataset.build import is_build

    folder = Path(folder)
    if folder.is_dir():
        refuse_private(folder)
    if not folder.is_dir() or not is_build(folder):
        raise InputError(
            f"{folder}: not a folder written by `toolkit build` (expected README.md with the build marker); "
            f"run `toolkit build --out {folder}` first"
        )
    files = [path for path in regular_files(folder) if not _local_only(path.relative_to(folder))]
    card = DatasetCard.load(folder / "README.md")
    listed = {entry["path"] for config in card.data.get("configs", []) for entry in config.get("data_files", [])}
    present = {path.relative_to(folder).as_posix() for path in files if path.suffix == ".parquet"}
    if listed != present:
        missing, unlisted = sorted(listed - present), sorted(present - listed)
        difference = f"missing: {', '.join(missing) or 'none'}; not in the card: {', '.join(unlisted) or 'none'}"
        raise InputError(f"{folder}: data files do not match the card ({difference}); rebuild with `toolkit build`")
    return [UploadFile(path.relative_to(folder).as_posix(), path.stat().st_size, file_sha256(path)) for path in files]


def _connection_errors() -> tuple[type[BaseException], ...]:
    """Errors meaning "no network": huggingface_hub's HTTP client (httpx2 in 2.x, httpx in 1.x) and the OS."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    errors: list[type[BaseException]] = [OSError, OfflineModeIsEnabled]
    for client in ("httpx2", "httpx"):
        with contextlib.suppress(ImportError):
            errors.append(importlib.import_module(client).TransportError)
    return tuple(errors)


def publish(folder: Path, repo: str, token: str | None, private: bool = False, endpoint: str | None = None) -> str:
    """Create the dataset repo if needed and upload the folder in one commit; returns the commit URL."""
    check_repo_id(repo)
    plan = upload_plan(folder)
    if not token:
        raise ConfigurationError(
            f"no Hugging Face token: set {TOKEN_VARIABLE} in the environment (a write token from https://huggingface.co/settings/tokens)"
        )
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in TRUE_VALUES:
        raise ServerError(
            f"HF_HUB_OFFLINE is set: publishing needs the network (unset it, or use {mention('dry_run')} to list the "
            "files)"
        )
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(endpoint=endpoint or os.environ.get("HF_ENDPOINT") or None, token=token)
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo,
            repo_type="dataset",
            folder_path=str(folder),
            ignore_patterns=[f"{COMPILED_FOLDER}/*", BUILD_MANIFEST],
            commit_message=f"voci: upload {len(plan)} files built by toolkit build",
        )
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise ServerError(
            f"the Hugging Face Hub refused the upload to {repo} (HTTP {status}); "
            f"check that {TOKEN_VARIABLE} is a write token for that namespace"
        ) from None
    except _connection_errors() as error:
        raise ServerError(
            f"cannot reach the Hugging Face Hub at {api.endpoint} ({type(error).__name__}: {error}); "
            f"check the network, or use {mention('dry_run')}"
        ) from None
    return commit.commit_url
