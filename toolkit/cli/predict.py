"""``toolkit predict``: prediction records from a model trained by `toolkit train` (the ``spacy`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, input_path, output_path


@app.command()
def predict(
    model_dir: Annotated[Path, input_path(help="MODEL_DIR written by `toolkit train`.")],
    documents: Annotated[Path, input_path(help="Documents file (JSONL) to predict.")],
    out: Annotated[Path, output_path("--out", help="Where to write the prediction records (JSONL).")],
) -> None:
    """Predict entities and claims with a trained model; records are validated, model_version from voci-model.json."""
    from toolkit.model.pipeline import predict_file

    count, version = predict_file(model_dir, documents, out)
    echo_err(f"predict: {count} document(s) with model {version} → {out}")
