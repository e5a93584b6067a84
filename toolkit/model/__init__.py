"""A trained spaCy pipeline for voci: `toolkit train` builds it from gold or per-annotator records, `toolkit predict`
and the ML backend run it.

``examples`` turns records into spaCy Docs (and DocBins), ``config`` writes the training config, ``training`` runs
spaCy's own training loop, ``manifest`` reads and checks ``voci-model.json`` (no spaCy import), ``pipeline`` loads a
model and turns its Docs into prediction records.  spaCy is imported only inside this package (the ``spacy`` extra).
"""

from toolkit.model.manifest import MANIFEST, ModelManifest, read_manifest

__all__ = ["MANIFEST", "ModelManifest", "read_manifest"]
