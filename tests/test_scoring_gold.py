"""Gold as the scorer reads it: the same spans, claimers and hash from the JSONL, the built folder (compiled or
parquet) and the Hub cache; a compiled gold that does not check out is not used, and says why."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest
from scoring_corpus import build_random, random_corpus, random_predictions

from toolkit.built import BuiltFolder
from toolkit.errors import InputError, ServerError
from toolkit.files import write_jsonl
from toolkit.scoring.engines import reference
from toolkit.scoring.evaluate import evaluate
from toolkit.scoring.gold import compiled as compiled_module
from toolkit.scoring.gold import parquet
from toolkit.scoring.gold.compiler import compile_gold
from toolkit.scoring.gold.gold import Gold, gold_hash
from toolkit.scoring.gold.parquet import load_parquet_gold
from toolkit.scoring.scorer import Scorer, load_gold
from toolkit.scoring.spans import ClaimColumns, EntityColumns


def test_gold_hash_equals_its_plain_definition():
    """The vectorised hash writes exactly the lines `reference.gold_hash` writes one by one."""
    rng = random.Random(4)
    for _ in range(20):
        ids = rng.sample([f"d{k}" for k in range(200)] + ["B", "a", "a.1", "Z-9"], rng.randint(0, 12))
        spans = [
            sorted({(s, s + rng.randint(1, 5), rng.randrange(9)) for s in rng.sample(range(100), rng.randint(0, 6))})
            for _ in ids
        ]
        claims = [
            [
                (
                    rng.randrange(50),
                    rng.randrange(50, 120),
                    rng.randrange(3),
                    rng.choice(["author", "unnamed", ((1, 4),), ((1, 4), (10, 12)), ((100, 105),)]),
                )
                for _ in range(rng.randint(0, 3))
            ]
            for _ in ids
        ]
        documents = {doc_id: {"text_sha256": f"{rng.getrandbits(64):016x}"} for doc_id in ids}
        gold = Gold("g", None, documents, ids, EntityColumns.from_documents(spans), ClaimColumns.from_documents(claims))
        assert gold_hash(gold) == reference.gold_hash(gold)


def by_document(gold: Gold) -> dict:
    entities = gold.entities.per_document(len(gold.ids))
    claims = gold.claims.per_document(len(gold.ids))
    return {
        doc_id: (sorted(spans), sorted(document, key=repr))
        for doc_id, spans, document in zip(gold.ids, entities, claims, strict=True)
    }


def test_built_folder_reads_the_same_gold_as_the_jsonl(tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "BATCH_ROWS", 7)  # parts joined across batch boundaries
    folder = build_random(tmp_path, 8, 60)
    from_jsonl = load_gold(tmp_path / "gold.jsonl", tmp_path / "documents.jsonl", split="test")
    compiled = load_gold(folder, split="test")
    from_parquet = load_parquet_gold(folder, "test")
    assert compiled.digest is not None and from_parquet.digest is None  # the first came from scoring/test.npz
    assert by_document(from_jsonl) == by_document(compiled) == by_document(from_parquet)
    assert gold_hash(from_jsonl) == gold_hash(from_parquet) == gold_hash(compiled) == compiled.digest
    assert compiled.ids == from_parquet.ids and dict(compiled.documents) == from_parquet.documents
    assert compiled.text_lengths().tolist() == [len(from_jsonl.documents[doc_id]["text"]) for doc_id in compiled.ids]
    claimers = [
        claim[3]
        for claims in from_jsonl.claims.per_document(len(from_jsonl.ids))
        for claim in claims
        if not isinstance(claim[3], str)
    ]
    assert any(len(accepted) > 1 for accepted in claimers)  # a claimer named again elsewhere (same label and text)


def test_built_folder_with_a_missing_entity_list_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    build_random(tmp_path, 3, 5)
    assert len(load_gold(tmp_path / "voci", split="test").ids) == 5
    (path,) = (tmp_path / "voci" / "documents").glob("test-*.parquet")
    table = pq.read_table(path)
    entities = table.column("entities").to_pylist()
    entities[2] = None
    column = pa.array(entities, type=table.schema.field("entities").type)
    pq.write_table(table.set_column(table.schema.get_field_index("entities"), "entities", column), path)
    with pytest.raises(InputError, match="1 missing list.*entities"):
        load_gold(tmp_path / "voci", split="test")


def test_a_compiled_gold_is_used_only_when_it_checks_out(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    folder = build_random(tmp_path, 5, 12)
    path = BuiltFolder.open(folder).compiled_path("test")
    original = path.read_bytes()
    digest = compiled_module.load_compiled_gold(folder, "test")[0]["digest"]

    def reason() -> str | None:
        return compiled_module.load_compiled_gold(folder, "test")[1]

    path.write_bytes(original[: len(original) // 2])
    assert reason().startswith("unreadable")
    path.write_bytes(original)
    monkeypatch.setattr(compiled_module, "SCORER_VERSION", "0.0")
    assert reason() == "written for other scorer (another scorer version wrote it)"
    monkeypatch.undo()
    assert reason() is None
    path.unlink()
    assert reason().startswith("absent")
    path.write_bytes(original)

    (parquet_file,) = (folder / "documents").glob("test-*.parquet")  # the split rewritten after the build
    table = pq.read_table(parquet_file)
    pq.write_table(table.slice(1), parquet_file)
    assert reason() == "written for other sources (its parquet files changed since the build)"
    gold = load_gold(folder, split="test")
    assert gold.digest is None and gold.ids == table.column("id").to_pylist()[1:]
    assert gold.notes[0] == f"gold: scoring/test.npz not used: {reason()}"
    assert gold_hash(gold) == gold_hash(load_parquet_gold(folder, "test")) != digest


def tamper(path, member: str, change) -> None:
    """Rewrite one array of the compiled gold (its header intact, every other member copied): what issue 13 did."""
    import io
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    array = np.load(io.BytesIO(members[member]), allow_pickle=False)
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, change(array), allow_pickle=False)
    members[member] = buffer.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_tampered_compiled_gold_is_not_used(tmp_path):
    """Issue 13: labels shifted in scoring/test.npz with its header intact scored 0.000 under the same gold hash."""
    folder = build_random(tmp_path, 6, 20)
    documents, golds = random_corpus(random.Random(6), 20, splits=("test",))
    predictions = random_predictions(random.Random(1), documents, golds)
    honest = evaluate(predictions, folder, split="test").to_dict()
    tamper(BuiltFolder.open(folder).compiled_path("test"), "entity_label.npy", lambda labels: (labels + 1) % 3)
    gold = load_gold(folder, split="test")
    assert gold.digest is None and "does not match its content hash" in gold.notes[0]
    assert evaluate(predictions, folder, split="test").to_dict() == honest
    write_jsonl(tmp_path / "p.jsonl", predictions)
    command = ["eval", str(tmp_path / "p.jsonl"), "--gold", str(folder), "--split", "test", "--verbose"]
    out = subprocess.run([sys.executable, "-m", "toolkit", *command], capture_output=True, text=True)
    assert "scoring/test.npz not used: its content does not match its content hash" in out.stderr


def test_tampered_texts_are_read_from_the_parquet_files(tmp_path):
    """The texts are checked only when a prediction's text must be compared: then the parquet files' are used."""
    folder = build_random(tmp_path, 6, 20)
    documents, golds = random_corpus(random.Random(6), 20, splits=("test",))
    predictions = random_predictions(random.Random(1), documents, golds)
    record = next(record for record in predictions if record.get("entities"))
    entity = record["entities"][0]
    entity["text"] = next(d for d in documents if d["id"] == record["id"])["text"][entity["start"] : entity["end"]]
    honest = evaluate(predictions, folder, split="test").to_dict()
    tamper(BuiltFolder.open(folder).compiled_path("test"), "texts.npy", lambda data: data[::-1].copy())
    scorer = Scorer(folder, split="test")
    assert scorer.gold.digest is not None  # the spans still checked out
    scored = scorer.score(predictions)
    assert scored.result().to_dict() == honest
    assert (
        "gold: the texts of scoring/test.npz do not match its content hash: read from the parquet files" in scored.notes
    )


def test_a_compile_is_byte_identical_and_batch_independent(tmp_path, monkeypatch):
    folder = build_random(tmp_path, 9, 30)
    path = BuiltFolder.open(folder).compiled_path("test")
    first = path.read_bytes()
    compile_gold(folder, "test")
    assert path.read_bytes() == first
    monkeypatch.setattr(parquet, "BATCH_ROWS", 4)
    compile_gold(folder, "test")
    assert path.read_bytes() == first
    assert not [leftover for leftover in path.parent.iterdir() if leftover != path]  # the scratch files are gone


def lay_out_hub_cache(home, folder, repo: str, commit: str) -> None:
    """A built folder in a Hugging Face cache as a download leaves it (``refs/main`` names the commit), without the
    compiled gold, which `toolkit publish` leaves out."""
    import shutil

    from toolkit.dataset.publish import upload_plan

    snapshot = home / "hub" / f"datasets--{repo.replace('/', '--')}" / "snapshots" / commit
    for item in upload_plan(folder):
        (snapshot / item.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / item.path, snapshot / item.path)
    (snapshot.parent.parent / "refs").mkdir(parents=True)
    (snapshot.parent.parent / "refs" / "main").write_text(commit)


def test_gold_from_the_hub_cache_offline(tmp_path):
    """``--gold ORG/NAME[@REVISION]`` scores against a snapshot in the Hugging Face cache, offline, exactly as the
    local folder; the commit enters the settings and the signature; a revision not in the cache is a clean error."""
    import os

    folder = build_random(tmp_path, 7, 15)
    commit = "0123456789abcdef0123456789abcdef01234567"
    home = tmp_path / "hf-home"
    lay_out_hub_cache(home, folder, "voci-org/voci", commit)
    documents, golds = random_corpus(random.Random(7), 15, splits=("test",))
    predictions = tmp_path / "p.jsonl"
    write_jsonl(predictions, random_predictions(random.Random(3), documents, golds))
    environment = {**os.environ, "HF_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    environment.pop("HF_HUB_CACHE", None)

    def run(gold: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "toolkit", "eval", str(predictions), "--gold", gold, "--split", "test"]
        return subprocess.run([*command, "--format", "json"], capture_output=True, text=True, env=environment)

    local = json.loads(run(str(folder)).stdout)
    for gold in ("voci-org/voci", f"voci-org/voci@{commit}", "voci-org/voci@main"):
        hub = run(gold)
        assert hub.returncode == 0, hub.stderr
        result = json.loads(hub.stdout)
        assert result["settings"]["revision"] == commit and result["settings"]["gold"] == "voci-org/voci"
        assert result["settings"]["gold_hash"] == local["settings"]["gold_hash"]
        assert result["signature"] == local["signature"].replace("|split:", f"|hub:voci-org/voci@{commit[:12]}|split:")
        for key in ("entities", "claims", "claimer", "stance", "end_to_end", "overall", "missing_documents"):
            assert result[key] == local[key]
    missing = run("voci-org/voci@fedcba9876543210fedcba9876543210fedcba98")
    assert missing.returncode == 3 and missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
    assert f"not in the local Hugging Face cache ({home / 'hub'}: set HF_HOME" in missing.stderr
    for bad, message in (
        ("voci-org/voci/extra", "is neither an existing path nor a Hub dataset id"),
        ("not a repo id", "is neither an existing path nor a Hub dataset id"),
        ("missing/gold.jsonl", "missing/gold.jsonl: file not found"),  # a path, not an id, whatever its form
    ):
        refused = run(bad)
        assert refused.returncode == 2 and message in refused.stderr and refused.stderr.count("\n") == 1, bad


def test_the_api_reads_the_hub_cache(tmp_path, monkeypatch):
    """`load_gold` with a Hub id, in this process (the cache folder and offline mode as huggingface_hub reads them)."""
    import huggingface_hub.constants as constants

    folder = build_random(tmp_path, 2, 6)
    commit = "89abcdef0123456789abcdef0123456789abcdef"
    lay_out_hub_cache(tmp_path / "hf-home", folder, "org/name", commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    gold = load_gold("org/name", split="test")
    assert gold.name == "org/name" and gold.revision == commit and gold.digest is None
    assert by_document(gold) == by_document(load_gold(folder, split="test"))
    with pytest.raises(ServerError, match="not in the local Hugging Face cache"):
        load_gold("org/name@v9", split="test")
    with pytest.raises(InputError, match=r"\] split: 'dev' is not a split of"):
        load_gold("org/name", split="dev")


def test_a_hub_revision_never_resolves_outside_the_repo_cache(tmp_path, monkeypatch):
    """A revision is a branch/tag name or a commit: ``..`` and the like are refused before the cache is read, and a
    ``refs/`` file naming a folder outside ``snapshots/`` (a tampered cache) is refused instead of scored."""
    import shutil

    import huggingface_hub.constants as constants

    folder = build_random(tmp_path, 2, 6)
    commit = "89abcdef0123456789abcdef0123456789abcdef"
    hub = tmp_path / "hf-home" / "hub"
    lay_out_hub_cache(tmp_path / "hf-home", folder, "org/name", commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    for revision in ("../refs/main", "../../..", "main/../main", ".hidden", "a..b", "x.lock", "a/./b", "a\\b", "m~1"):
        with pytest.raises(InputError, match=r"is not a revision \(expected a branch or tag name, or a 40-hex"):
            load_gold(f"org/name@{revision}", split="test")
    outside = tmp_path / "outside"
    shutil.copytree(hub / "datasets--org--name" / "snapshots" / commit, outside)
    (hub / "datasets--org--name" / "refs" / "main").write_text("../../../../outside")
    with pytest.raises(InputError, match="the Hugging Face cache names no commit of org/name"):
        load_gold("org/name@main", split="test")
    assert load_gold(f"org/name@{commit}", split="test").revision == commit  # the commit itself still reads
