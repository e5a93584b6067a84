"""``toolkit backend``: a Label Studio ML backend serving live pre-annotations from any system."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err, output_path
from toolkit.cli._options import (
    DEFAULT_PROJECT,
    CommandOption,
    DocumentsOption,
    LearnEveryOption,
    LearnMinutesOption,
    LearnOption,
    ModelOption,
    ModelVersionOption,
    PrefillPredictionsOption,
    ProjectOption,
    StudioDataOption,
    SystemOption,
    any_port,
    described,
)
from toolkit.extras import require_extra
from toolkit.labelstudio.backend.trained import DEFAULT_EVERY, DEFAULT_MINUTES
from toolkit.paths import DEFAULT_DOCUMENTS


@app.command()
def backend(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", parser=any_port, metavar="PORT", help="Port to listen on (0: any free port).")
    ] = 9090,
    system: SystemOption = None,
    predictions: described(
        PrefillPredictionsOption, "A prediction (or annotation) file to serve, matched by doc_id or text_sha256."
    ) = None,
    command: CommandOption = None,
    model: ModelOption = None,
    learn: LearnOption = False,
    learn_every: LearnEveryOption = DEFAULT_EVERY,
    learn_minutes: LearnMinutesOption = DEFAULT_MINUTES,
    documents: DocumentsOption = DEFAULT_DOCUMENTS,
    model_version: described(
        ModelVersionOption, "Name of the served predictions (default: preannotation, command-<hash>)."
    ) = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds the --command may take per request.")] = 30.0,
    data_dir: described(
        StudioDataOption, "Studio data folder; learned lexicons are kept in its backend/ folder."
    ) = Path(".studio"),
    auth_user: Annotated[
        str,
        typer.Option(
            "--auth-user",
            help="HTTP Basic auth user (default voci); the password is read from TOOLKIT_BACKEND_PASSWORD.",
        ),
    ] = None,
    export_lexicon: Annotated[
        Path, output_path("--export-lexicon", help="Write the project's learned lexicon (JSON) to this file and exit.")
    ] = None,
    project: ProjectOption = DEFAULT_PROJECT,
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
    if model is not None:
        require_extra("spacy", "backend --model")  # the backend extra alone does not bring spaCy
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
