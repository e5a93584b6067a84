"""`toolkit studio` run as a user runs it: a real subprocess starting a real server, Ctrl-C, then a second start
on the same data dir.

The module shares one data dir: the first run pays the migrations (30–60 s), the second one reuses them.
Every process started here is stopped in the fixtures' teardown, even when a test fails.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from toolkit.documents import make_document
from toolkit.files import write_jsonl
from toolkit.inventory import load_inventory
from toolkit.labelstudio.config import build_label_config, load_guidelines_html
from toolkit.labelstudio.server import free_port
from toolkit.labelstudio.tasks import preannotation

pytestmark = pytest.mark.studio

REPO = Path(__file__).resolve().parents[1]
TOOLKIT = Path(sys.executable).parent / "toolkit"  # .venv/bin/toolkit when run with .venv/bin/python
READY = "press Ctrl-C to stop the server"
START_LIMIT = 300.0  # bounds for waiting (a loaded 2-core machine), not assertions about speed
STOP_LIMIT = 30.0
MODEL_VERSION = "test-model"
LISTEN = "0A"  # TCP state in /proc/net/tcp*

SAID = "Il sindaco Mario Rossi ha detto che domani pioverà."
QUIET = "Nessuna notizia oggi."


def _span(text: str, fragment: str) -> dict[str, int]:
    start = text.index(fragment)
    return {"start": start, "end": start + len(fragment)}


def _user_environment() -> dict[str, str]:
    """The caller's environment without Label Studio settings or the debug switch."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LABEL_STUDIO_") and name != "TOOLKIT_DEBUG"
    }


# --- processes, seen from /proc (Linux) ---


def _servers_of(data_dir: Path) -> list[int]:
    """PIDs of live `label-studio` processes whose data dir (from their environment) is ``data_dir``."""
    wanted = f"LABEL_STUDIO_BASE_DATA_DIR={data_dir.resolve()}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours
            continue
        if b"label-studio" in command and wanted in environment:
            found.append(int(entry.name))
    return found


def _address(hex_address: str) -> str:
    """An address of /proc/net/tcp (IPv4) or tcp6 (IPv6): 32-bit words in host (little-endian) order."""
    raw = b"".join(bytes.fromhex(hex_address[index : index + 8])[::-1] for index in range(0, len(hex_address), 8))
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def _listeners(port: int) -> dict[str, set[str]]:
    """Local addresses listening on ``port`` (IPv4 and IPv6), each with its socket inodes."""
    found: dict[str, set[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, local_port = fields[1].split(":")
            if int(local_port, 16) == port and fields[3] == LISTEN:
                found.setdefault(_address(address), set()).add(fields[9])
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(descriptor)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _stop_for_good(pid: int) -> None:
    """Teardown only: SIGTERM, then SIGKILL, a server the test left behind."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not _alive(pid):
            return


# --- one `toolkit studio` run ---


@dataclass
class StudioRun:
    """One `toolkit studio` subprocess with its output in files (no pipe to fill up) and its timings."""

    process: subprocess.Popen
    port: int
    stdout_path: Path
    stderr_path: Path
    launched_at: float = field(default_factory=time.monotonic)
    ready_after: float | None = None
    stopped_after: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def output(self) -> str:
        return self.stdout() + self.stderr()

    def wait_until_ready(self) -> StudioRun:
        deadline = self.launched_at + START_LIMIT
        while READY not in self.stderr():
            if self.process.poll() is not None:
                pytest.fail(
                    f"toolkit studio exited with {self.process.returncode} before it was ready:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"toolkit studio was not ready within {START_LIMIT:.0f} s:\n{self.output()}")
            time.sleep(0.2)
        self.ready_after = time.monotonic() - self.launched_at
        return self

    def interrupt(self, signum: int = signal.SIGINT) -> int:
        """What Ctrl-C in the terminal does (SIGINT), or `kill` (SIGTERM), to the command; its exit code."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=STOP_LIMIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"toolkit studio did not exit within {STOP_LIMIT:.0f} s of signal {signum}:\n{self.output()}")
        self.stopped_after = time.monotonic() - sent
        return code

    def end(self) -> None:
        """Teardown: whatever state the test left the command in, make it exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_LIMIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Workspace:
    root: Path
    documents: Path
    predictions: Path
    data_dir: Path
    runs: list[StudioRun] = field(default_factory=list)

    def launch(
        self, *extra: str, documents: Path | None = None, port: int | None = None, with_port: bool = True
    ) -> StudioRun:
        """`toolkit studio` with ``--port`` (a free one unless given), or without it (``with_port=False``: the port
        kept in the data dir)."""
        port = (port or free_port()) if with_port else self.kept_port()
        number = len(self.runs) + 1
        stdout_path, stderr_path = self.root / f"run{number}.stdout", self.root / f"run{number}.stderr"
        command = [
            str(TOOLKIT),
            "studio",
            *(["--port", str(port)] if with_port else []),
            "--data-dir",
            str(self.data_dir),
            "--documents",
            str(documents or self.documents),
            *extra,
        ]
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                command, cwd=REPO, env=_user_environment(), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
            )  # noqa: S603
        run = StudioRun(process, port, stdout_path, stderr_path)
        self.runs.append(run)
        return run

    def kept_port(self) -> int:
        return int((self.data_dir / "port").read_text(encoding="utf-8"))

    def credentials(self) -> dict[str, str]:
        return json.loads((self.data_dir / "credentials.json").read_text(encoding="utf-8"))

    def client(self, url: str):
        from label_studio_sdk import LabelStudio

        return LabelStudio(base_url=url, api_key=self.credentials()["api_key"])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio-command")
    inventory = load_inventory()
    person, stance = inventory.entity_names[0], inventory.stance_names[0]
    documents = [make_document("said", SAID, "it", title="Prova"), make_document("quiet", QUIET, "it")]
    prediction = {
        "id": "said",
        "entities": [{**_span(SAID, "Mario Rossi"), "label": person, "score": 0.9}],
        "claims": [
            {**_span(SAID, "domani pioverà"), "stance": stance, "claimer": _span(SAID, "Mario Rossi"), "score": 0.7}
        ],
    }
    write_jsonl(root / "documents.jsonl", documents)
    write_jsonl(root / "predictions.jsonl", [prediction])
    space = Workspace(root, root / "documents.jsonl", root / "predictions.jsonl", root / "data")
    try:
        yield space
    finally:
        for run in space.runs:
            run.end()
        for pid in _servers_of(space.data_dir):
            _stop_for_good(pid)
        timings = ", ".join(
            f"run {number}: ready {run.ready_after}, stopped {run.stopped_after}"
            for number, run in enumerate(space.runs, 1)
        )
        print(f"\ntoolkit studio timings (s): {timings}", file=sys.stderr)


@pytest.fixture(scope="module")
def first_run(workspace):
    """The first start: fresh data dir, the documents and their pre-annotations pushed."""
    return workspace.launch(
        "--predictions", str(workspace.predictions), "--model-version", MODEL_VERSION
    ).wait_until_ready()


@pytest.fixture(scope="module")
def first_stop(workspace, first_run):
    """Ctrl-C on the first run: (exit code, server PIDs seen before)."""
    servers = _servers_of(workspace.data_dir)
    return first_run.interrupt(), servers


@pytest.fixture(scope="module")
def second_run(workspace, first_stop):
    """The same command again on the same data dir (a new free port, as without --port)."""
    return workspace.launch(
        "--predictions", str(workspace.predictions), "--model-version", MODEL_VERSION
    ).wait_until_ready()


def _project(client, title="voci"):
    projects = list(client.projects.list())
    assert [project.title for project in projects] == [title], "exactly one project, the default one"
    return projects[0]


def _visible_text(markup: str) -> str:
    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append
    parser.feed(markup)
    return "".join(parts)


def _tasks(client, project_id):
    return {task.data["doc_id"]: task for task in client.tasks.list(project=project_id, fields="all")}


# --- bad input: nothing starts ---


def test_missing_documents_is_a_one_line_error_and_starts_no_server(workspace):
    missing = workspace.root / "missing.jsonl"
    run = workspace.launch(documents=missing)
    code = run.process.wait(timeout=60)
    lines = run.stderr().strip().splitlines()
    assert code == 2
    assert (
        lines == [lines[0]]
        and str(missing) in lines[0]
        and "file not found" in lines[0]
        and lines[0].startswith("error:")
    )
    assert "Traceback" not in run.output() and run.stdout() == ""
    assert not workspace.data_dir.exists(), "bad input must stop the command before it creates the data dir"
    assert _servers_of(workspace.data_dir) == []


def test_prediction_for_an_unknown_document_names_file_and_line(workspace, tmp_path):
    stray = tmp_path / "stray.jsonl"
    write_jsonl(stray, [{"id": "not-a-document", "entities": []}])
    run = workspace.launch("--predictions", str(stray))
    assert run.process.wait(timeout=60) == 2
    assert f"{stray}:1: id: 'not-a-document' is not a document in {workspace.documents}" in run.stderr()
    assert "Traceback" not in run.output()
    assert not workspace.data_dir.exists() and _servers_of(workspace.data_dir) == []


# --- first start ---


def test_prints_the_url_and_where_the_login_is(workspace, first_run):
    err = first_run.stderr()
    assert f"open {first_run.url}/projects/" in err
    assert (
        "login: admin@voci.local, password and API key" in err
        and f"in {workspace.data_dir / 'credentials.json'} (mode 0600)" in err
    )
    assert "project 'voci': 2 task(s) added, 0 already there" in err


def test_health_answers_on_loopback_and_the_server_listens_only_there(workspace, first_run):
    with urllib.request.urlopen(f"{first_run.url}/health", timeout=10) as response:  # noqa: S310 (loopback)
        assert json.loads(response.read()) == {"status": "UP"}
    (server,) = _servers_of(workspace.data_dir)
    listening = _listeners(first_run.port)
    assert set(listening) == {"127.0.0.1"}, (
        f"expected only 127.0.0.1 to listen on {first_run.port}, found {sorted(listening)}"
    )
    assert listening["127.0.0.1"] <= _socket_inodes(server), (
        "the listener belongs to the server started for this data dir"
    )


def test_credentials_are_private_and_the_key_is_never_printed(workspace, first_run):
    path = workspace.data_dir / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    credentials = workspace.credentials()
    assert credentials["username"] == "admin@voci.local" and len(credentials["api_key"]) >= 6
    shown = first_run.output()
    assert credentials["api_key"] not in shown and credentials["password"] not in shown
    assert f"({credentials['api_key'][:4]}…)" in shown, "only the key's first characters, to tell keys apart"
    assert workspace.client(first_run.url).users.whoami().email == credentials["username"]


def test_project_has_exactly_the_documents_and_the_generated_config(workspace, first_run):
    client = workspace.client(first_run.url)
    project = client.projects.get(id=_project(client).id)
    assert project.label_config.strip() == build_label_config().strip()  # the server drops the final newline
    # the server normalises the markup (table rows get a <tbody>): compare what annotators read
    assert _visible_text(project.expert_instruction) == _visible_text(
        load_guidelines_html(REPO / "docs" / "guidelines.md")
    )
    tasks = _tasks(client, project.id)
    assert sorted(tasks) == ["quiet", "said"] and len(list(client.tasks.list(project=project.id))) == 2
    assert tasks["said"].data["text"] == SAID and tasks["quiet"].data["text"] == QUIET
    assert (
        tasks["said"].data["title"] == "Prova"
        and tasks["said"].data["text_sha256"] == make_document("said", SAID, "it")["text_sha256"]
    )
    assert f"open {first_run.url}/projects/{project.id}/data" in first_run.stderr()


def test_predictions_prefill_the_task(workspace, first_run):
    client = workspace.client(first_run.url)
    tasks = _tasks(client, _project(client).id)
    assert list(client.predictions.list(task=tasks["quiet"].id)) == []
    (prediction,) = client.predictions.list(task=tasks["said"].id)
    assert prediction.model_version == MODEL_VERSION
    record = json.loads(workspace.predictions.read_text(encoding="utf-8"))
    assert prediction.result == preannotation(record, "prediction", SAID, MODEL_VERSION)["result"]
    regions = {item["id"]: item for item in prediction.result if item["type"] == "labels"}
    texts = {item["value"]["text"]: item for item in regions.values()}
    assert set(texts) == {"Mario Rossi", "domani pioverà"}
    for item in regions.values():
        assert SAID[item["value"]["start"] : item["value"]["end"]] == item["value"]["text"]
    (relation,) = [item for item in prediction.result if item["type"] == "relation"]
    assert (relation["from_id"], relation["to_id"]) == (texts["Mario Rossi"]["id"], texts["domani pioverà"]["id"])


# --- Ctrl-C, then a second start on the same data dir ---


def test_ctrl_c_stops_the_command_and_the_server(workspace, first_run, first_stop):
    code, servers_before = first_stop
    assert code == 0, first_run.output()
    assert len(servers_before) == 1
    assert first_run.stderr().rstrip().endswith("Label Studio stopped") and "Traceback" not in first_run.output()
    assert _servers_of(workspace.data_dir) == [] and not _alive(servers_before[0]), "the server PID is gone"
    assert _listeners(first_run.port) == {}
    assert workspace.credentials()["api_key"] not in first_run.output()


def test_second_run_reuses_the_data_dir(workspace, first_run, first_stop, second_run):
    before_credentials = workspace.credentials()
    err = second_run.stderr()
    assert "project 'voci': 0 task(s) added, 2 already there" in err
    client = workspace.client(second_run.url)
    project = _project(client)  # still exactly one project
    assert (
        f"open {second_run.url}/projects/{project.id}/data" in err
        and f"open {first_run.url}/projects/{project.id}/data" in first_run.stderr()
    ), "same project id"
    tasks = _tasks(client, project.id)
    assert sorted(tasks) == ["quiet", "said"] and len(list(client.tasks.list(project=project.id))) == 2
    assert len(list(client.predictions.list(task=tasks["said"].id))) == 1, "no duplicate pre-annotation"
    assert workspace.credentials() == before_credentials and before_credentials["api_key"] not in second_run.output()
    assert second_run.interrupt() == 0 and _servers_of(workspace.data_dir) == []


def test_a_start_without_port_reuses_the_kept_port(workspace, second_run):
    """URLs and the browser's login survive a restart: the port of the last start is kept in the data dir."""
    if second_run.process.poll() is None:  # run on its own (-k)
        assert second_run.interrupt() == 0
    assert workspace.kept_port() == second_run.port
    run = workspace.launch(with_port=False).wait_until_ready()
    assert run.port == second_run.port and f"open {second_run.url}/projects/" in run.stderr()
    with urllib.request.urlopen(f"{run.url}/health", timeout=10) as response:  # noqa: S310 (loopback)
        assert json.loads(response.read()) == {"status": "UP"}
    assert run.interrupt() == 0 and workspace.kept_port() == second_run.port


def test_a_taken_kept_port_is_refused_clearly_and_starts_nothing(workspace, second_run):
    if second_run.process.poll() is None:
        assert second_run.interrupt() == 0
    port = workspace.kept_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the last run's connections may linger
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        run = workspace.launch(with_port=False)
        code = run.process.wait(timeout=60)
    assert code == 3, run.output()
    assert run.stderr().strip().splitlines() == [
        f"error: [E300] port {port} on 127.0.0.1 (kept in {workspace.data_dir / 'port'} so that URLs and logins "
        f"survive restarts) is in use: is `toolkit studio` already running on {workspace.data_dir}? Stop what "
        "listens there, or pass --port N to move this studio to another port (then kept)"
    ]
    assert _servers_of(workspace.data_dir) == [] and workspace.kept_port() == port


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_while_starting_stops_the_server_too(workspace, first_stop, second_run, signum):
    """Ctrl-C or kill during the (long) start: the server runs in its own session, so the command must stop it."""
    if second_run.process.poll() is None:  # run on its own (-k): stop the second run first
        assert second_run.interrupt() == 0
    run = workspace.launch()
    deadline = time.monotonic() + START_LIMIT
    while not _servers_of(workspace.data_dir):
        assert run.process.poll() is None and time.monotonic() < deadline, run.output()
        time.sleep(0.1)
    time.sleep(0.5)
    assert READY not in run.stderr(), "the interrupt must arrive while the server is still starting"
    assert run.interrupt(signum) == 130
    assert run.stderr().strip().splitlines()[-1] == "interrupted" and "Traceback" not in run.output()
    assert _servers_of(workspace.data_dir) == [] and _listeners(run.port) == {}
