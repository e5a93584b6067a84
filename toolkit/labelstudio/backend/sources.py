"""Where the backend's predictions come from: the baseline in process, a prediction file, or an external command
(a trained model: `toolkit.labelstudio.backend.trained`).

Each source turns a batch of document records into one `Outcome` per document: a record (prediction or
annotation record, not yet checked) or an error that names what went wrong. The service checks and converts the
records; a source never raises for one bad document or a failing command, so the backend keeps serving.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.files import dumps_line, json_type
from toolkit.labelstudio.backend.lexicon import Contribution, LexiconStore

PASSWORD_VARIABLE = "TOOLKIT_BACKEND_PASSWORD"
WEBHOOK_SECRET_VARIABLE = "TOOLKIT_BACKEND_WEBHOOK_SECRET"
# Secrets the backend may hold that a --command never needs (it gets documents on stdin, nothing else).
SECRET_VARIABLES = (
    PASSWORD_VARIABLE,
    WEBHOOK_SECRET_VARIABLE,
    "LABEL_STUDIO_API_KEY",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
)
DEFAULT_COMMAND_TIMEOUT = 30.0
MAX_OUTPUT = 64_000_000  # bytes read from a --command's stdout per request (and 64 kB of its stderr)
MAX_STDERR = 64_000
STDERR_SHOWN = 300  # characters of a failing command's stderr quoted in its error
COMMAND_SHOWN = 60  # characters of the command line that name it in errors
CANCEL_CHECK = 0.2  # seconds between two looks at whether the client of a --command request has left


@dataclass(frozen=True)
class Outcome:
    """What a source says about one document: a record to check and convert, or why there is none."""

    record: dict[str, Any] | None = None
    kind: str = "prediction"
    score: float | None = None
    error: str | None = None
    model_version: str | None = None  # when not the one of the whole batch (a trained model's frozen version)


def environment_without_secrets() -> dict[str, str]:
    """The backend's environment without the secrets it holds (its password, the Label Studio and Hub tokens), for
    the programs it starts."""
    return {name: value for name, value in os.environ.items() if name not in SECRET_VARIABLES}


class Cancelled(Exception):
    """The client of the request left: the prediction stopped before its next document."""


class Cancellation:
    """Set by the HTTP layer when a request's client leaves; a source asks it before each document (or batch), so a
    prediction nobody waits for stops within one document instead of running to the end."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reached = 0  # documents started, for the log line that says where it stopped

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def each(self, documents: list[dict[str, Any]], size: int = 1) -> Iterator[list[dict[str, Any]]]:
        """``documents`` in slices of ``size``, raising `Cancelled` before a slice once the client has left."""
        for start in range(0, len(documents), size):
            if self.cancelled:
                raise Cancelled(f"stopped after {start} of {len(documents)} document(s)")
            self.reached = start + 1
            yield documents[start : start + size]


NEVER = Cancellation()  # the default: nobody cancels (tests, the Python API)


def failed(count: int, message: str) -> list[Outcome]:
    return [Outcome(error=message) for _ in range(count)]


class BaselineSource:
    """voci's rule-based baseline, run in process; it learns entity mentions from the project's annotations."""

    name = "baseline"
    learns = True
    learns_records = False  # the entity mentions of a `Contribution` are all it learns

    def __init__(self, lexicons: LexiconStore):
        self.lexicons = lexicons

    def model_version(self, project_id: int | None) -> str:
        return self.lexicons.snapshot(project_id or 0)[0]

    def describe(self) -> str:
        return "the baseline, learning entity mentions from annotations (model version baseline-vN per project)"

    def predict(
        self, documents: list[dict[str, Any]], project_id: int | None, cancellation: Cancellation = NEVER
    ) -> tuple[str, list[Outcome]]:
        from toolkit.baseline.system import predict_with_evidence

        outcomes = []
        version = self.model_version(project_id)
        for (document,) in cancellation.each(documents):  # never what its own annotations taught (independence)
            version, learned = self.lexicons.snapshot(project_id or 0, excluded_document=document["id"])
            prediction = predict_with_evidence(document, learned)
            outcomes.append(Outcome(record=prediction.record, score=prediction.sure_share))
        return version, outcomes

    def learn(
        self, project_id: int, title: str | None, annotation_id: str, contribution: Contribution, submitted=None
    ) -> str:
        return self.lexicons.learn(project_id, title, annotation_id, contribution)

    def forget(self, project_id: int, annotation_ids: list[str]) -> str:
        return self.lexicons.forget(project_id, annotation_ids)


class FileSource:
    """A prediction (or annotation) file made beforehand, checked against its documents when the backend starts.

    A task finds its record by ``doc_id`` when the task's text is that document's text, else by the text's
    SHA-256 (a task imported without ids still finds its document).
    """

    name = "predictions"
    learns = False

    def __init__(self, path: Path, documents_path: Path, model_version: str | None = None):
        from toolkit.labelstudio.tasks import load_preannotations
        from toolkit.validate import load_documents

        self.path = Path(path)
        self.documents = load_documents(documents_path)
        self.documents_path = Path(documents_path)
        self.preannotations = load_preannotations(self.path, self.documents, str(documents_path), model_version)
        self.by_sha256 = {document["text_sha256"]: doc_id for doc_id, document in self.documents.items()}

    def model_version(self, project_id: int | None) -> str:
        return self.preannotations.model_version

    def describe(self) -> str:
        count = len(self.preannotations.by_id)
        return f"{self.path} ({count} {self.preannotations.kind} record(s), model version {self.model_version(None)})"

    def _document_id(self, document: Mapping[str, Any]) -> str | None:
        known = self.documents.get(document["id"])
        if known is not None and known["text_sha256"] == document["text_sha256"]:
            return document["id"]
        return self.by_sha256.get(document["text_sha256"])

    def predict(
        self, documents: list[dict[str, Any]], project_id: int | None, cancellation: Cancellation = NEVER
    ) -> tuple[str, list[Outcome]]:
        outcomes = []
        for (document,) in cancellation.each(documents):
            doc_id = self._document_id(document)
            if doc_id is None:
                outcomes.append(
                    Outcome(
                        error=f"no document of {self.documents_path} has this text "
                        f"(doc_id {document['id']!r}, text_sha256 {document['text_sha256'][:12]}…)"
                    )
                )
                continue
            record = self.preannotations.by_id.get(doc_id)
            if record is None:
                outcomes.append(Outcome(error=f"{self.path} has no record for document {doc_id!r}"))
                continue
            outcomes.append(Outcome(record={**record, "id": document["id"]}, kind=self.preannotations.kind))
        return self.preannotations.model_version, outcomes


def _stderr_tail(stderr: bytes) -> str:
    """The end of a failing command's stderr, on one line, without the values of the backend's secrets."""
    text = stderr.decode("utf-8", errors="replace").strip()
    for name in SECRET_VARIABLES:
        if os.environ.get(name):
            text = text.replace(os.environ[name], f"<{name}>")
    if not text:
        return "nothing on stderr"
    tail = text[-STDERR_SHOWN:]
    return ("…" if len(text) > STDERR_SHOWN else "") + " | ".join(tail.splitlines())


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _exchange(
    process: subprocess.Popen, stdin: bytes, timeout: float, cancellation: Cancellation = NEVER
) -> tuple[bytes, bytes, str | None]:
    """Write ``stdin``, read stdout (at most `MAX_OUTPUT` bytes) and stderr (its first `MAX_STDERR`) until the
    command exits and closes them, for at most ``timeout`` seconds and while the client waits; why it was cut
    short, if it was."""
    import selectors
    import time

    deadline = time.monotonic() + timeout
    out, err = bytearray(), bytearray()
    pending = memoryview(stdin)
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, out)
        selector.register(process.stderr, selectors.EVENT_READ, err)
        if pending:
            os.set_blocking(process.stdin.fileno(), False)
            selector.register(process.stdin, selectors.EVENT_WRITE, None)
        else:
            process.stdin.close()
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(out), bytes(err), "timeout"
            if cancellation.cancelled:
                return bytes(out), bytes(err), "cancelled"
            for key, _ in selector.select(min(left, CANCEL_CHECK)):
                if key.fileobj is process.stdin:
                    try:
                        pending = pending[os.write(process.stdin.fileno(), pending[:65536]) :]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(process.stdin)
                        process.stdin.close()
                    continue
                chunk = os.read(key.fileobj.fileno(), 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk if key.data is out else chunk[: max(0, MAX_STDERR - len(err))])
                if len(out) > MAX_OUTPUT:
                    return bytes(out), bytes(err), "output"
    left = max(0.0, deadline - time.monotonic())
    try:
        process.wait(left)
    except subprocess.TimeoutExpired:
        return bytes(out), bytes(err), "timeout"
    return bytes(out), bytes(err), None


def _not_a_number(name: str):
    raise ValueError(f"{name} is not a JSON number")


class CommandSource:
    """Any system as a program: document records (JSONL) on its stdin, prediction records (JSONL) on its stdout.

    Started once per request, without a shell, with at most ``timeout`` seconds to answer; a crash, a hang (the
    process group is killed) or output that is not one prediction record per document becomes an error for the
    documents concerned.
    """

    name = "command"
    learns = False

    def __init__(self, command: str, timeout: float = DEFAULT_COMMAND_TIMEOUT, model_version: str | None = None):
        try:
            self.argv = shlex.split(command)
        except ValueError as error:
            raise InputError(f"{command!r} cannot be split into words ({error})", parameter="command") from None
        if not self.argv:
            raise InputError("empty (expected a program and its arguments)", parameter="command")
        if not timeout > 0:
            raise InputError(f"{timeout} (expected a positive number of seconds)", parameter="timeout")
        self.command = command
        self.shown = repr(command if len(command) <= COMMAND_SHOWN else command[: COMMAND_SHOWN - 1] + "…")
        self.timeout = timeout
        self.version = model_version or f"command-{hashlib.sha256(command.encode('utf-8')).hexdigest()[:8]}"

    def model_version(self, project_id: int | None) -> str:
        return self.version

    def describe(self) -> str:
        return f"command {self.shown} (at most {self.timeout:g} s per request, model version {self.version})"

    def _run(self, stdin: bytes, cancellation: Cancellation = NEVER) -> tuple[bytes | None, str | None]:
        """The command's stdout, or why there is none."""
        try:
            process = subprocess.Popen(  # noqa: S603 (the user's own command, no shell)
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment_without_secrets(),
                start_new_session=True,  # its own process group, so a hang is killed whole
            )
        except OSError as error:
            return None, f"command {self.shown} cannot be started: {error.strerror or error}"
        try:
            stdout, stderr, why = _exchange(process, stdin, self.timeout, cancellation)
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # what it started in its group goes with it
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout, process.stderr):  # a grandchild may still hold the pipes
                stream.close()
        if why == "cancelled":
            raise Cancelled(f"command {self.shown} stopped")
        if why == "timeout":
            return None, f"command {self.shown} did not answer within {self.timeout:g} s (stopped)"
        if why == "output":
            return None, f"command {self.shown} wrote more than {MAX_OUTPUT} bytes on stdout (stopped)"
        if process.returncode != 0:
            return None, f"command {self.shown} {_exit_reason(process.returncode)} ({_stderr_tail(stderr)})"
        return stdout, None

    def predict(
        self, documents: list[dict[str, Any]], project_id: int | None, cancellation: Cancellation = NEVER
    ) -> tuple[str, list[Outcome]]:
        unique: dict[str, dict[str, Any]] = {}
        for document in documents:  # two tasks of one document: sent once
            unique.setdefault(document["id"], document)
        lines = "".join(dumps_line(document) for document in unique.values()).encode("utf-8")
        stdout, error = self._run(lines, cancellation)
        if error is not None:
            return self.version, failed(len(documents), error)
        records, error = self._parse(stdout, set(unique))
        if error is not None:
            return self.version, failed(len(documents), error)
        return self.version, [
            Outcome(record=records[document["id"]])
            if document["id"] in records
            else Outcome(error=f"command {self.shown} wrote no record with id {document['id']!r}")
            for document in documents
        ]

    def _parse(self, stdout: bytes, wanted: set[str]) -> tuple[dict[str, dict], str | None]:
        """Records by id; an error when any line cannot be read or tied to exactly one document sent."""
        where = f"command {self.shown} stdout"
        try:
            text = stdout.decode("utf-8")
        except UnicodeDecodeError as error:
            return {}, f"{where}: byte {error.start + 1} is not UTF-8 (expected UTF-8 JSONL)"
        records: dict[str, dict] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_constant=_not_a_number)
            except json.JSONDecodeError as error:
                return {}, f"{where} line {number}: invalid JSON: {error.msg} (expected one prediction record per line)"
            except ValueError as error:
                return {}, f"{where} line {number}: {error} (expected plain JSON numbers)"
            except RecursionError:
                return {}, f"{where} line {number}: nested too deep (expected a prediction record)"
            if not isinstance(record, dict):
                return {}, f"{where} line {number}: got a JSON {json_type(record)} (expected a prediction record)"
            record_id = record.get("id")
            if not isinstance(record_id, str) or record_id not in wanted:
                return {}, f"{where} line {number}: id {record_id!r} is not one of the documents sent"
            if record_id in records:
                return {}, f"{where} line {number}: a second record for {record_id!r} (expected one per document)"
            records[record_id] = record
        return records, None
