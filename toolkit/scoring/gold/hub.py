"""Gold from the Hugging Face Hub: a dataset id ``ORG/NAME[@REVISION]`` resolved to a snapshot in the local cache.

``huggingface_hub.snapshot_download`` fetches the ``documents`` parquet files
of the published dataset (or finds them in the cache, also offline with
``HF_HUB_OFFLINE=1``: ``datasets.load_dataset`` would not) and returns the
snapshot folder, named after the commit it holds.  That folder is then read as
any built folder, and the commit goes into the result's settings and signature:
a participant scores against exactly the published gold.
"""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.built import DEFAULT_CONFIG
from toolkit.errors import ConfigurationError, InputError, ServerError
from toolkit.scoring.compat import TOKEN_CONFIG

HUB_ID = re.compile(r"(?P<repo>[^/@\s]+/[^/@\s]+)(?:@(?P<revision>\S+))?")
FILE_SUFFIXES = (".jsonl", ".json", ".parquet", ".npz")  # what a missing file, not a dataset id, ends with
EXPECTED_GOLD = "expected a gold JSONL, a folder built by `toolkit build`, or a Hub dataset id ORG/NAME[@REVISION]"
COMMIT = re.compile(r"[0-9a-f]{40}")
# A branch or tag name as git allows it (git check-ref-format): slash-separated parts of safe characters, none
# empty or starting with "." or ending with ".lock", no "..": never a path that leaves the cache's refs/ folder.
REF_PART = r"(?!\.)(?:(?!\.\.)[A-Za-z0-9._+=,-])+(?<!\.lock)(?<!\.)"
REF_NAME = re.compile(rf"{REF_PART}(?:/{REF_PART})*")
EXPECTED_REVISION = "expected a branch or tag name, or a 40-hex commit"


def _not_found(source: str, why: str) -> InputError:
    return InputError(f"{source!r} is neither an existing path nor {why} ({EXPECTED_GOLD})", parameter="gold")


def parse_hub_id(source: str) -> tuple[str, str | None]:
    """``(repo id, revision or None)`` of ``ORG/NAME[@REVISION]``; `InputError` for anything else."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if source.endswith(FILE_SUFFIXES) or source.startswith((".", "/", "~")):
        raise InputError(f"{source}: file not found ({EXPECTED_GOLD})")
    match = HUB_ID.fullmatch(source)
    if match is None:
        raise _not_found(source, "a Hub dataset id")
    try:
        validate_repo_id(match["repo"])
    except HFValidationError as error:
        raise _not_found(source, f"a valid Hub dataset id ({error})") from None
    revision = match["revision"]
    if revision is not None and not (len(revision) <= 255 and REF_NAME.fullmatch(revision)):
        raise InputError(f"{source!r}: {revision!r} is not a revision ({EXPECTED_REVISION})", parameter="gold")
    return match["repo"], revision


def _inside_cache(folder: Path, repo: str, source: str) -> Path:
    """The snapshot folder, checked to be a commit's folder of this repo's cache (a tampered ``refs/`` file could
    name any path: huggingface_hub joins what it holds to ``snapshots/``)."""
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    snapshots = Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo, repo_type="dataset") / "snapshots"
    if not (COMMIT.fullmatch(folder.name) and folder.resolve().parent == snapshots.resolve()):
        raise InputError(
            f"{source!r}: the Hugging Face cache names no commit of {repo} for it ({EXPECTED_REVISION}; "
            "a refs/ file of the cache may be damaged)",
            parameter="gold",
        )
    return folder


HUB_CONFIGS = (DEFAULT_CONFIG, TOKEN_CONFIG)  # the gold, and the tokens of `compat.token`


def snapshot(source: str) -> tuple[Path, str, str]:
    """``(snapshot folder, repo id, commit sha)`` of a Hub dataset id, downloaded or found in the cache."""
    repo, revision = parse_hub_id(source)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    wanted = f"dataset {repo}" + (f" at revision {revision!r}" if revision else "")
    try:
        folder = snapshot_download(
            repo,
            repo_type="dataset",
            revision=revision,
            allow_patterns=[f"{config}/*.parquet" for config in HUB_CONFIGS],
        )
    except GatedRepoError:
        raise ConfigurationError(
            f"{wanted} is gated: accept its terms on the Hub and set HF_TOKEN to a token that may read it",
            parameter="gold",
        ) from None
    except RepositoryNotFoundError:
        raise _not_found(source, f"a dataset on the Hub (no {wanted}, or it is private: set HF_TOKEN)") from None
    except RevisionNotFoundError:
        raise InputError(
            f"{wanted}: no such revision on the Hub (expected a branch, tag or commit)", parameter="gold"
        ) from None
    except LocalEntryNotFoundError:
        from huggingface_hub.constants import HF_HUB_CACHE

        raise ServerError(
            f"{source!r} is not an existing path, and {wanted} is not in the local Hugging Face cache "
            f"({HF_HUB_CACHE}: set HF_HOME or HF_HUB_CACHE to look elsewhere) "
            "while the Hub cannot be reached (HF_HUB_OFFLINE set, or no network)",
            parameter="gold",
        ) from None
    except HfHubHTTPError as error:
        raise ServerError(f"the Hugging Face Hub refused {wanted} ({error})", parameter="gold") from None
    folder = _inside_cache(Path(folder), repo, source)
    return folder, repo, folder.name
