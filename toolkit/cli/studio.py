"""``toolkit studio``: a local Label Studio with the voci project ready for annotators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import (
    DEFAULT_PROJECT,
    CommandOption,
    DocumentsOption,
    GuidelinesOption,
    LearnEveryOption,
    LearnMinutesOption,
    LearnOption,
    ModelOption,
    ModelVersionOption,
    PrefillPredictionsOption,
    ProjectOption,
    StudioDataOption,
    SystemOption,
    described,
    port_number,
)
from toolkit.extras import require_extra
from toolkit.labelstudio.backend.trained import DEFAULT_EVERY, DEFAULT_MINUTES
from toolkit.paths import DEFAULT_DOCUMENTS, DEFAULT_GUIDELINES


@app.command()
def studio(
    port: Annotated[
        int,
        typer.Option(
            "--port",
            parser=port_number,
            metavar="PORT",
            help="Port on 127.0.0.1 (default: the one kept in the data folder from its first start, else a free one; "
            "the port used is kept).",
        ),
    ] = None,
    data_dir: StudioDataOption = Path(".studio"),
    database: Annotated[
        str,
        typer.Option(
            "--database",
            envvar="DATABASE_URL",
            metavar="postgresql://USER[:PASSWORD]@HOST[:PORT]/NAME",
            help="Run on this PostgreSQL database instead of SQLite in the data dir (or env DATABASE_URL: better, "
            "other users can read a command line). The password is never shown.",
            show_envvar=False,
        ),
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="ADDRESS",
            help="Listen on this address of the machine (0.0.0.0: all) instead of 127.0.0.1, for a team; "
            "put an HTTPS reverse proxy in front (docs/label-studio.md).",
        ),
    ] = None,
    project: ProjectOption = DEFAULT_PROJECT,
    documents: described(DocumentsOption, "Documents to push (only those the project lacks).") = DEFAULT_DOCUMENTS,
    predictions: PrefillPredictionsOption = None,
    model_version: ModelVersionOption = None,
    guidelines: GuidelinesOption = DEFAULT_GUIDELINES,
    ml_backend: Annotated[
        bool,
        typer.Option(
            "--ml-backend",
            help="Pre-annotate live: serve the baseline (or --predictions, served instead of pushed, or --command) "
            "as an ML backend connected to the project.",
        ),
    ] = False,
    system: described(SystemOption, "With --ml-backend: the built-in baseline (the default).") = None,
    command: described(
        CommandOption, "With --ml-backend: a program reading document JSONL, writing prediction JSONL."
    ) = None,
    model: described(ModelOption, "With --ml-backend: a MODEL_DIR written by `toolkit train`.") = None,
    learn: described(LearnOption, "With --ml-backend --model: retrain it from submitted annotations.") = False,
    learn_every: LearnEveryOption = DEFAULT_EVERY,
    learn_minutes: LearnMinutesOption = DEFAULT_MINUTES,
) -> None:
    """Start Label Studio on 127.0.0.1, create or reuse the project, push the documents; Ctrl-C stops it."""
    from toolkit.cli._progress import progress_bar
    from toolkit.labelstudio.backend.launch import BackendOptions, auth_from_environment, beside_studio, make_backend
    from toolkit.labelstudio.database import parse_database_url
    from toolkit.labelstudio.server import (
        LOOPBACK,
        check_bind_address,
        exposure_warning,
        prepare_server,
        signals_interrupt,
    )
    from toolkit.labelstudio.studio import StudioOptions, load_inputs, login_lines, prepare_project

    if not ml_backend and (system or command or model or learn):
        raise typer.BadParameter("only with --ml-backend", param_hint="--system/--command/--model/--learn")
    if model is not None:
        require_extra("spacy", "studio --ml-backend --model")  # the backend extra alone does not bring spaCy
    options = StudioOptions(
        project=project,
        documents=documents,
        predictions=None if ml_backend else predictions,  # with a backend, the file is served live instead
        model_version=model_version,
        guidelines=guidelines,
    )
    postgres = parse_database_url(database) if database else None
    bind = check_bind_address(host) if host else LOOPBACK
    inputs = load_inputs(options)  # bad input stops us before the server starts
    backend, auth = None, None
    if ml_backend:
        chosen = system.value if system else None
        options_ml = BackendOptions(
            chosen,
            predictions,
            command,
            documents,
            model_version,
            data_dir=data_dir,
            model=model,
            learn=learn,
            learn_every=learn_every,
            learn_minutes=learn_minutes,
        )
        backend = make_backend(options_ml)
        auth = auth_from_environment(None)
    server = prepare_server(data_dir, port, database=postgres, bind=bind)
    server.loopback_calls = backend is not None
    echo_err(f"starting Label Studio on {server.url} (data in {server.data_dir}; a first start takes about a minute)…")
    echo_err(f"database: {server.database_label}")
    warning = exposure_warning(server)
    if warning:
        echo_err(warning)
    with signals_interrupt(), server:
        with progress_bar("importing") as progress:
            ready = prepare_project(server, inputs, progress)
        with beside_studio(backend, ready.connection, ready.push.project_id, auth) as backend_lines:
            for line in backend_lines + login_lines(server, ready):
                echo_err(line)
            server.serve_until_interrupted()
    echo_err("Label Studio stopped")
