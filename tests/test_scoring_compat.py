"""``compat.token``: NERMuD's token-level figures (EVALITA 2023) over the dataset's own tokens, checked against
scikit-learn run as NERMuD's scorer runs it (prefixes stripped, ``zero_division=0``) on the built ``ner`` config,
under both engines."""

from __future__ import annotations

import random

import pytest
from scoring_corpus import build_random, random_predictions

from toolkit.bio import resolve_overlaps
from toolkit.errors import InputError
from toolkit.files import read_jsonl, write_jsonl
from toolkit.scoring.compat import parse_label_map
from toolkit.scoring.evaluate import evaluate
from toolkit.scoring.scorer import Scorer

NERMUD = {"GPE": "LOC", "FAC": "O", "NORP": "O", "EVENT": "O", "DATE": "O", "QUANTITY": "O"}  # PER/LOC/ORG only


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compat")
    build_random(folder, 5, 40, splits=("test", "train"))
    documents, golds = (read_jsonl(folder / name) for name in ("documents.jsonl", "gold.jsonl"))
    return folder, documents, golds


def sklearn_token_figures(folder, split, predictions, label_map):
    """NERMuD's scoring from its definition: IOB2 prefixes stripped, scikit-learn over the entity labels."""
    import pyarrow.parquet as pq
    from sklearn.metrics import precision_recall_fscore_support

    from toolkit.inventory import load_inventory

    tags = load_inventory().bio_tags()
    by_id = {p["id"]: p for p in predictions}
    y_true, y_pred = [], []
    for path in sorted((folder / "voci" / "ner").glob(f"{split}-*.parquet")):
        for row in pq.read_table(path).to_pylist():
            entities = by_id.get(row["doc_id"], {}).get("entities", [])
            kept, _ = resolve_overlaps((e["start"], e["end"], e["label"]) for e in entities)
            for start, tag in zip(row["token_starts"], row["ner_tags"], strict=True):
                gold = tags[tag].split("-", 1)[-1]
                pred = next((label for s, e, label in kept if s <= start < e), "O")
                y_true.append(label_map.get(gold, gold))
                y_pred.append(label_map.get(pred, pred))
    labels = sorted({*y_true, *y_pred} - {"O"})
    report = {}
    for average in (None, "micro", "macro"):
        report[average] = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
    return labels, report, len(y_true)


@pytest.mark.parametrize("label_map", [{}, NERMUD], ids=["own labels", "PER/LOC/ORG"])
def test_token_figures_equal_nermuds_scikit_learn(built, label_map):
    folder, documents, golds = built
    rng = random.Random(len(label_map))
    for _ in range(2):
        predictions = random_predictions(rng, documents, golds)
        test_ids = {d["id"] for d in documents if d["split"] == "test"}
        predictions = [p for p in predictions if p["id"] in test_ids]
        results = [
            evaluate(predictions, folder / "voci", split="test", compat=True, token_label_map=label_map, engine=engine)
            for engine in ("fast", "reference")
        ]
        assert results[0].compat == results[1].compat
        token = results[0].compat["token"]
        labels, report, n_tokens = sklearn_token_figures(folder, "test", predictions, label_map)
        assert token["tokens"] == n_tokens and sorted(token["per_label"]) == labels and len(labels) >= 3
        if label_map:
            assert labels == ["LOC", "ORG", "PER"]
        precision, recall, f1, support = report[None]
        for k, name in enumerate(labels):
            ours = token["per_label"][name]
            assert ours["support"] == support[k]
            assert [ours["precision"], ours["recall"], ours["f1"]] == pytest.approx(
                [precision[k], recall[k], f1[k]], abs=1e-12
            )
        for average in ("micro", "macro"):
            ours = token[average]
            assert [ours["precision"], ours["recall"], ours["f1"]] == pytest.approx(
                list(report[average][:3]), abs=1e-12
            )
        assert 0 < token["micro"]["f1"] < 1


def test_a_gold_jsonl_is_tokenized_as_the_build_tokenizes(built, monkeypatch):
    """With --compat, a gold JSONL's documents are cut into the ner config's tokens, tags and sentences (spaCy's
    tokenizer): the same token and NewsClaims figures as the built folder; without spaCy, null with the reason; off
    by default."""
    folder, documents, golds = built
    predictions = [p for p in random_predictions(random.Random(2), documents, golds) if p["id"] in _test_ids(documents)]
    jsonl = evaluate(predictions, folder / "gold.jsonl", folder / "documents.jsonl", "test", compat=True).compat
    assert jsonl["token"]["tokenization"].startswith("the documents of gold.jsonl tokenized as `toolkit build`")
    from_build = evaluate(predictions, folder / "voci", split="test").compat
    assert {**jsonl["token"], "tokenization": None} == {**from_build["token"], "tokenization": None}
    # the means are summed in each gold's document order (NewsClaims' own order is its file's): equal to 12 digits
    assert rounded(jsonl["newsclaims"]) == rounded(from_build["newsclaims"])
    assert jsonl["newsclaims"]["claim_detection"]["gold"] > 5
    assert evaluate([], folder / "gold.jsonl", folder / "documents.jsonl").to_dict()["compat"] is None
    monkeypatch.setattr("toolkit.extras.extra_installed", lambda extra: False)
    result = evaluate([], folder / "gold.jsonl", folder / "documents.jsonl", compat=True)
    assert result.compat["token"] is None and "install spaCy" in result.compat["token_reason"]
    assert result.compat["newsclaims"] is None and "install spaCy" in result.compat["newsclaims_reason"]


def test_on_by_default_for_a_build_from_its_compiled_tokens(built):
    """A built folder's compiled gold holds the ner config's tokens: the default run uses them, and they give the
    figures the ner config's parquet files give (the reference engine reads those)."""
    folder, documents, golds = built
    predictions = [p for p in random_predictions(random.Random(9), documents, golds) if p["id"] in _test_ids(documents)]
    fast = Scorer(folder / "voci", split="test")
    assert fast.compat and fast.gold.tokens is not None
    from_parquet = Scorer(folder / "voci", split="test", engine="reference")
    assert from_parquet.compat and from_parquet.gold.tokens is None
    compat = fast.score(predictions).result().compat
    token, newsclaims = compat["token"], compat["newsclaims"]
    assert compat == from_parquet.score(predictions).result().compat and 0 < token["micro"]["f1"] < 1
    assert fast.gold.newsclaims is not None and from_parquet.gold.newsclaims is None  # compiled, and not
    assert compat["newsclaims_reason"] is None and 0 < newsclaims["claim_detection"]["f1"] < 1
    assert Scorer(folder / "voci", split="test", compat=False).score(predictions).result().compat is None


def test_label_map_is_checked():
    assert parse_label_map(["GPE=LOC", "DATE=O"]) == {"GPE": "LOC", "DATE": "O"}
    for bad in ("GPE", "XYZ=LOC", "GPE="):
        with pytest.raises(InputError, match="token_label_map: "):
            parse_label_map([bad])


def test_compat_on_the_command_line(built):
    import json
    import subprocess
    import sys

    folder, documents, golds = built
    predictions = [p for p in random_predictions(random.Random(3), documents, golds) if p["id"] in _test_ids(documents)]
    write_jsonl(folder / "pred.jsonl", predictions)
    command = [sys.executable, "-m", "toolkit", "eval", str(folder / "pred.jsonl"), "--gold", str(folder / "voci")]
    command += ["--split", "test", "--compat", "--token-label-map", "GPE=LOC"]
    as_json = subprocess.run([*command, "--format", "json"], capture_output=True, text=True)
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    expected = evaluate(predictions, folder / "voci", split="test", compat=True, token_label_map={"GPE": "LOC"})
    assert data["compat"] == expected.compat and data["settings"]["token_label_map"] == {"GPE": "LOC"}
    table = subprocess.run(command, capture_output=True, text=True).stdout
    micro = expected.compat["token"]["micro"]
    assert f"compat.token (NERMuD's token figures, {expected.compat['token']['tokens']} tokens)" in table
    row = next(line for line in table.splitlines() if line.startswith("micro avg"))
    assert row.split() == ["micro", "avg", *(f"{micro[figure]:.4f}" for figure in ("precision", "recall", "f1"))]
    bad = subprocess.run([*command[:-1], "GPE"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: [E100] --token-label-map: 'GPE' (expected LABEL=NAME")
    assert bad.stderr.count("\n") == 1


def rounded(value):
    """Every float of a JSON value rounded to 12 digits."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return round(value, 12) if isinstance(value, float) else value


def _test_ids(documents):
    return {d["id"] for d in documents if d["split"] == "test"}


def test_ranks_count_the_keys_below_as_a_sorted_search_does():
    """`Ranks.below` (the compiled tokens' keys as bitmaps) equals ``np.searchsorted`` at every key, block edges
    and the limit included; keys that are not strictly ascending have no ranks."""
    import numpy as np

    from toolkit.scoring.compat import Ranks, _popcount, popcount_by_bytes

    rng = np.random.default_rng(5)
    for limit, n in [(0, 0), (63, 5), (64, 64), (1000, 300), (5000, 40), (128, 129)]:
        keys = np.sort(rng.choice(limit + 1, size=min(n, limit + 1), replace=False))
        ranks = Ranks.of(keys, limit)
        x = np.arange(limit + 1)
        assert ranks.below(x).tolist() == np.searchsorted(keys, x).tolist()
    assert Ranks.of(np.array([3, 3, 9]), 10) is None and Ranks.of(np.array([4, 2]), 10) is None
    assert Ranks.of(np.array([11]), 10) is None
    words = rng.integers(0, 2**63, size=200, dtype=np.uint64) | np.uint64(2**63)
    assert popcount_by_bytes(words).tolist() == _popcount(words).tolist() == [bin(int(w)).count("1") for w in words]


def test_mention_texts_give_the_text_of_a_gold_mention_span():
    """A predicted claimer span that is a gold entity's takes the compiled text of that entity; any other span
    has none (it is cut from the document texts)."""
    import numpy as np

    from toolkit.scoring.newsclaims import MentionTexts
    from toolkit.scoring.spans import EntityColumns

    texts = ["Mario Rossi dice", "è Draghi, poi l’Istat"]
    entities = [(1, 14, 21), (0, 0, 11), (1, 2, 8), (0, 6, 11)]  # not in key order
    columns = EntityColumns(*(np.array(column, dtype=np.int64) for column in [*zip(*entities, strict=True), [0] * 4]))
    encoded = [texts[d][a:b].encode("utf-8") for d, a, b in entities]
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])])
    lengths = np.array([len(text) for text in texts])
    mentions = MentionTexts(columns, lengths, np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)
    base = [0, len(texts[0])]
    spans = np.array([[base[d] + a, base[d] + b] for d, a, b in [*entities, (0, 0, 5), (1, 2, 7)]])
    rows = mentions.rows(spans)
    assert rows == [0, 1, 2, 3, -1, -1]
    assert [mentions[row] for row in rows[:4]] == ["l’Istat", "Mario Rossi", "Draghi", "Rossi"]
