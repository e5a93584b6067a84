"""A model trained by `toolkit train` behind the backend, and with ``--learn`` retrained from submitted annotations.

Independence rule (docs/model.md): a task's pre-annotation never comes from a model version that learned from an
annotation of that task's document. Each version knows which documents' annotations it learned from. A document
is served the version it got at its first prediction (frozen: every annotator of the task sees the same
pre-annotation). Before that, it is served the newest version that learned nothing from it; the MODEL_DIR given to
``--model`` learned nothing in this project, so one always exists.

Retraining runs `toolkit.model.learning` in a child process, from a thread, so ``/predict`` is never blocked. It
starts after ``every`` new (or changed, or deleted) submissions, at most once per ``minutes``. A candidate is served
only when its dev entity F1 is not worse than the served model's; a failure changes nothing and is logged in one
line.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.files import dumps_line, write_json
from toolkit.labelstudio.backend.sources import NEVER, Cancellation, Outcome, environment_without_secrets

log = logging.getLogger("toolkit.backend")
DEFAULT_EVERY = 20  # submissions between two retrainings
DEFAULT_MINUTES = 10.0  # at most one retraining started per this many minutes
CACHED = 3  # model versions kept loaded besides the base (others are loaded again from disk when asked for)
MODELS = "models"  # the retrained MODEL_DIRs, in the studio data folder's backend/ folder


@dataclass(frozen=True)
class LearnPolicy:
    """When to retrain: after ``every`` changed submissions, at most once per ``minutes``."""

    every: int = DEFAULT_EVERY
    minutes: float = DEFAULT_MINUTES

    def __post_init__(self):
        if self.every < 1:
            raise InputError(f"{self.every} (expected a number of submissions, 1 or more)", parameter="learn_every")
        if not self.minutes >= 0:
            raise InputError(f"{self.minutes} (expected a number of minutes, 0 or more)", parameter="learn_minutes")


@dataclass(frozen=True)
class Version:
    name: str
    folder: Path
    learned: frozenset[str]  # the documents whose annotations (in this project) it learned from


@dataclass
class ProjectState:
    versions: list[Version]
    frozen: dict[str, str] = field(default_factory=dict)  # document id → the version its first prediction came from
    submitted: dict[str, tuple[dict, dict]] = field(default_factory=dict)  # annotation id → (document, record)
    changes: int = 0  # since the last retraining started
    started: float | None = None
    running: bool = False


class ModelSource:
    """A trained MODEL_DIR; each prediction's score is the model's uncertainty about the document (docs/model.md)."""

    name = "model"
    learns_records = True  # whole annotation records (entities and claims), to retrain on

    def __init__(self, model_dir: Path, policy: LearnPolicy | None = None, data_dir: Path | None = None):
        from toolkit.model.pipeline import TrainedModel

        self.base_dir = Path(model_dir)
        self.base = TrainedModel(self.base_dir)
        self.policy = policy
        self.learns = policy is not None
        self.models_dir = Path(data_dir or ".studio") / "backend" / MODELS
        self.lock = threading.Lock()
        self.projects: dict[int, ProjectState] = {}
        self.loaded: OrderedDict[str, Any] = OrderedDict()
        self.threads: list[threading.Thread] = []

    def _state(self, project_id: int | None) -> ProjectState:
        key = project_id or 0
        if key not in self.projects:
            self.projects[key] = ProjectState([Version(self.base.model_version, self.base_dir, frozenset())])
        return self.projects[key]

    def model_version(self, project_id: int | None) -> str:
        with self.lock:
            return self._state(project_id).versions[-1].name

    def describe(self) -> str:
        if self.policy is None:
            return self.base.describe()
        return (
            f"{self.base.describe()}, retrained from submissions (every {self.policy.every} submission(s), "
            f"at most every {self.policy.minutes:g} min)"
        )

    def _version_for(self, state: ProjectState, document_id: str) -> Version:
        """The frozen version of this document, else the newest that learned nothing from it (then frozen)."""
        by_name = {version.name: version for version in state.versions}
        if document_id in state.frozen:
            return by_name[state.frozen[document_id]]
        chosen = next(version for version in reversed(state.versions) if document_id not in version.learned)
        state.frozen[document_id] = chosen.name
        return chosen

    def _model(self, version: Version):
        from toolkit.model.pipeline import TrainedModel

        if version.name == self.base.model_version:
            return self.base
        with self.lock:
            if version.name in self.loaded:
                self.loaded.move_to_end(version.name)
                return self.loaded[version.name]
        model = TrainedModel(version.folder)
        with self.lock:
            self.loaded[version.name] = model
            while len(self.loaded) > CACHED:
                self.loaded.popitem(last=False)
        return model

    def predict(
        self, documents: list[dict[str, Any]], project_id: int | None, cancellation: Cancellation = NEVER
    ) -> tuple[str, list[Outcome]]:
        from toolkit.model.pipeline import BATCH

        with self.lock:
            state = self._state(project_id)
            chosen = [self._version_for(state, document["id"]) for document in documents]
            newest = state.versions[-1].name
        outcomes: list[Outcome | None] = [None] * len(documents)
        for version in {version.name: version for version in chosen}.values():
            indices = [index for index, other in enumerate(chosen) if other.name == version.name]
            model = self._model(version)
            predictions = [  # a batch at a time, so a request whose client left stops (`Cancellation`)
                prediction
                for batch in cancellation.each([documents[index] for index in indices], BATCH)
                for prediction in model.predict(batch, scored=True)
            ]
            for index, prediction in zip(indices, predictions, strict=True):
                outcomes[index] = Outcome(
                    record=prediction.record, score=prediction.uncertainty, model_version=version.name
                )
        return newest, outcomes

    # --- learning (only with a policy) ---

    def learn(self, project_id: int, title, annotation_id: str, contribution, submitted=None) -> str:
        if submitted is not None:
            with self.lock:
                state = self._state(project_id)
                state.submitted[annotation_id] = submitted
                state.changes += 1
            self._start_when_due(project_id)
        return self.model_version(project_id)

    def forget(self, project_id: int, annotation_ids: list[str]) -> str:
        with self.lock:
            state = self._state(project_id)
            removed = [key for key in annotation_ids if state.submitted.pop(key, None) is not None]
            state.changes += len(removed)
        if removed:
            self._start_when_due(project_id)
        return self.model_version(project_id)

    def _start_when_due(self, project_id: int) -> None:
        with self.lock:
            state = self._state(project_id)
            waited = state.started is None or time.monotonic() - state.started >= self.policy.minutes * 60
            if state.running or state.changes < self.policy.every or not waited or not state.submitted:
                return
            state.running, state.started, state.changes = True, time.monotonic(), 0
            pairs = list(state.submitted.values())
            current = state.versions[-1]
            number = len(state.versions)
        thread = threading.Thread(
            target=self._retrain, args=(project_id, pairs, current, number), name="voci-retrain", daemon=True
        )
        self.threads.append(thread)
        thread.start()

    def _retrain(self, project_id: int, pairs: list[tuple[dict, dict]], current: Version, number: int) -> None:
        from toolkit.model.examples import data_hash
        from toolkit.model.pipeline import TrainedModel

        name = f"{self.base.model_version}-p{project_id}-r{number}-{data_hash(pairs)[:6]}"
        out = self.models_dir / f"project-{project_id}" / name
        try:
            result = self._run_child(pairs, current, out, name)
            if "error" in result:
                why = result["error"]
                log.warning("project %s: retraining failed, still serving %s: %s", project_id, current.name, why)
                return
            candidate, served = result["candidate_f1"], result["current_f1"]
            if candidate < served:
                log.info(
                    "project %s: retrained model has dev entity F1 %.3f < %.3f of %s: not served",
                    project_id, candidate, served, current.name,
                )  # fmt: skip
                shutil.rmtree(out, ignore_errors=True)
                return
            model = TrainedModel(out)  # loaded before the swap, outside the lock
            version = Version(name, out, frozenset(document["id"] for document, _ in pairs))
            with self.lock:
                self.loaded[name] = model
                self._state(project_id).versions.append(version)
            log.info(
                "project %s: now serving %s (dev entity F1 %.3f, was %.3f; %d annotation(s))",
                project_id, name, candidate, served, len(pairs),
            )  # fmt: skip
        except Exception as error:  # noqa: BLE001 (the served model stays; the backend keeps serving)
            log.warning("project %s: retraining failed, still serving %s: %s", project_id, current.name, error)
        finally:
            with self.lock:
                self._state(project_id).running = False
            self._start_when_due(project_id)  # submissions that came in meanwhile

    def _run_child(self, pairs: list[tuple[dict, dict]], current: Version, out: Path, name: str) -> dict[str, Any]:
        from toolkit.model.learning import SUBMITTED, Retraining

        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="voci-retrain-", dir=out.parent) as scratch:
            submitted = Path(scratch) / SUBMITTED
            submitted.write_text("".join(dumps_line({"document": d, "record": r}) for d, r in pairs), encoding="utf-8")
            request = Path(scratch) / "request.json"
            write_json(request, Retraining(self.base_dir, current.folder, submitted, out, name).as_json())
            finished = subprocess.run(  # noqa: S603 (this toolkit's own module)
                [sys.executable, "-m", "toolkit.model.learning", str(request)],
                capture_output=True,
                env=environment_without_secrets(),
                check=False,
            )
        lines = finished.stdout.decode("utf-8", errors="replace").strip().splitlines()
        try:
            return json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            tail = finished.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"]
            return {"error": f"the retraining process exited with code {finished.returncode} ({tail[0][:300]})"}
