"""``toolkit backend``: a Label Studio ML backend serving live pre-annotations from any system."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import (
    DocumentsOption,
    ProjectOption,
    any_port,
    input_path,
    learn_every_option,
    learn_minutes_option,
    learn_option,
    output_path,
)
from toolkit.labelstudio.backend import System
from toolkit.pathguard import WORKDIR


@app.command()
def backend(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)."),
    port: int = typer.Option(
        9090, "--port", parser=any_port, metavar="PORT", help="Port to listen on (0: any free port)."
    ),
    system: System = typer.Option(
        None, "--system", help="The built-in rule-based baseline (the default); it learns from submitted annotations."
    ),
    predictions: Path = input_path(
        None, "--predictions", help="A prediction (or annotation) file to serve, matched by doc_id or text_sha256."
    ),
    command: str = typer.Option(
        None,
        "--command",
        help="A program run per request: document records (JSONL) on stdin, prediction records (JSONL) on stdout.",
    ),
    model: Path = input_path(None, "--model", help="A MODEL_DIR written by `toolkit train` (the spacy extra)."),
    learn: bool = learn_option(),
    learn_every: int = learn_every_option(),
    learn_minutes: float = learn_minutes_option(),
    documents: Path = DocumentsOption,
    model_version: str = typer.Option(
        None, "--model-version", help="Name of the served predictions (default: preannotation, command-<hash>)."
    ),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds the --command may take per request."),
    data_dir: Path = output_path(
        Path(".studio"),
        "--data-dir",
        kind=WORKDIR,
        help="Studio data folder; learned lexicons are kept in its backend/ folder.",
    ),
    auth_user: str = typer.Option(
        None,
        "--auth-user",
        help="HTTP Basic auth user (default voci); the password is read from TOOLKIT_BACKEND_PASSWORD.",
    ),
    export_lexicon: Path = output_path(
        None, "--export-lexicon", help="Write the project's learned lexicon (JSON) to this file and exit."
    ),
    project: str = ProjectOption,
) -> None:
    """Serve Label Studio's ML backend protocol (health, setup, predict, webhook); Ctrl-C stops it."""
    from toolkit.labelstudio.backend.launch import (
        BackendOptions,
        auth_from_environment,
        log_to_stderr,
        make_backend,
        webhook_secret_from_environment,
    )
    from toolkit.labelstudio.backend.launch import serve as start_serving
    from toolkit.labelstudio.server import LOOPBACK_ADDRESSES, signals_interrupt

    if export_lexicon is not None:
        _export(data_dir, project, export_lexicon)
        return
    options = BackendOptions(
        system=system.value if system else None,
        predictions=predictions,
        command=command,
        model=model,
        documents=documents,
        model_version=model_version,
        timeout=timeout,
        data_dir=data_dir,
        learn=learn,
        learn_every=learn_every,
        learn_minutes=learn_minutes,
    )
    auth = auth_from_environment(auth_user)
    service = make_backend(options)
    log_to_stderr()
    server = start_serving(service, host, port, auth, webhook_secret_from_environment())
    echo_err(f"ML backend listening on {server.url}: {service.source.describe()}")
    if host not in LOOPBACK_ADDRESSES and auth is None:
        echo_err(f"warning: {host} is reachable from other machines and no password is set (TOOLKIT_BACKEND_PASSWORD)")
    echo_err(f"connect it in the project's Settings → Model → Connect model, URL {server.url}")
    echo_err("press Ctrl-C to stop the backend")
    with signals_interrupt():
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    echo_err("ML backend stopped")


def _export(data_dir: Path, project: str, out: Path) -> None:
    from toolkit.errors import InputError
    from toolkit.files import write_json
    from toolkit.labelstudio.backend.lexicon import find_project_lexicon

    lexicon = find_project_lexicon(data_dir, project)
    if out.resolve() == lexicon.path.resolve():
        raise InputError(f"--export-lexicon: {out} is the backend's own lexicon (expected another file)")
    exported = lexicon.export()
    write_json(out, exported)
    echo_err(
        f"{out}: lexicon of project {lexicon.project_id} ({lexicon.title!r}), {lexicon.model_version}: "
        f"{len(exported['learned'])} learned mention(s) from {len(exported['annotations'])} annotation(s)"
    )
