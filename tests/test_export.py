"""``toolkit export`` and the peer-definition cross-checks: NERMuD's token scoring run on exported CoNLL files equals
``compat.token``, NewsClaims' scoring run on exported NewsClaims files equals ``compat.newsclaims``, each peer
scorer written here from its published definition (not from its code, nor from the toolkit's), under both engines.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections import Counter

import numpy as np
import pytest
from scoring_corpus import build_random, random_predictions
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.files import read_jsonl, write_jsonl
from toolkit.inventory import load_inventory
from toolkit.scoring.evaluate import evaluate
from toolkit.scoring.newsclaims import NORMALISATIONS, answer_f1

runner = CliRunner()
NERMUD = {"GPE": "LOC", "FAC": "O", "NORP": "O", "EVENT": "O", "DATE": "O", "QUANTITY": "O"}  # PER/LOC/ORG only


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A random build (40 documents, test and train), and predictions for most test documents."""
    folder = tmp_path_factory.mktemp("export")
    build_random(folder, 11, 40, splits=("test", "train"))
    documents, golds = read_jsonl(folder / "documents.jsonl"), read_jsonl(folder / "gold.jsonl")
    predictions = random_predictions(random.Random(3), documents, golds)
    write_jsonl(folder / "pred.jsonl", predictions)
    return folder


def export(folder, records, fmt, out, *extra):
    args = ["export", str(folder / records), "--documents", str(folder / "documents.jsonl"), "--format", fmt]
    result = runner.invoke(app, [*args, "--out", str(folder / out), *extra])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"wrote {folder / out}: ")
    return folder / out


def conll_labels(path):
    """NERMuD's reading of a two-column file: every token line's tag, its B-/I- prefix stripped."""
    labels = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            labels.append(re.sub(r"^[A-Z]-", "", parts[1]))
    return labels


def test_conll_of_the_gold_is_the_ner_config(corpus):
    """The gold exported on the folder's tokens, and tokenised afresh as the build does, give the ner config."""
    import pyarrow.parquet as pq

    on_folder = export(corpus, "gold.jsonl", "conll", "gold.conll", "--segments", str(corpus / "voci"))
    fresh = export(corpus, "gold.jsonl", "conll", "gold-fresh.conll")
    assert on_folder.read_text() == fresh.read_text()
    tags = load_inventory().bio_tags()
    rows = {}
    for path in sorted((corpus / "voci" / "ner").glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            rows.setdefault(row["doc_id"], []).append(row)
    expected = []
    for document in read_jsonl(corpus / "documents.jsonl"):  # the documents' order, not the gold records'
        expected.append(f"# newdoc id = {document['id']}")
        for row in sorted(rows[document["id"]], key=lambda row: row["sentence_index"]):
            expected += [f"{token}\t{tags[tag]}" for token, tag in zip(row["tokens"], row["ner_tags"], strict=True)]
            expected.append("")
    assert on_folder.read_text().splitlines() == expected


@pytest.mark.parametrize("label_map", [{}, NERMUD], ids=["own labels", "PER/LOC/ORG"])
def test_nermud_scoring_of_exported_conll_equals_compat_token(corpus, label_map):
    from sklearn.metrics import precision_recall_fscore_support

    maps = [arg for label, name in label_map.items() for arg in ("--label-map", f"{label}={name}")]
    segments = ("--segments", str(corpus / "voci"))
    gold = conll_labels(export(corpus, "gold.jsonl", "conll", "g.conll", *segments, *maps))
    predicted = conll_labels(export(corpus, "pred.jsonl", "conll", "p.conll", *segments, *maps))
    # A document without a prediction record has no lines in the predictions file: NERMuD reads it as all O.
    by_doc = {}
    for name in ("g.conll", "p.conll"):
        doc = None
        for line in (corpus / name).read_text().splitlines():
            if line.startswith("# newdoc id = "):
                doc = line.removeprefix("# newdoc id = ")
            elif line:
                by_doc.setdefault((name, doc), []).append(re.sub(r"^[A-Z]-", "", line.split("\t")[1]))
    y_true, y_pred = [], []
    for (name, doc), labels in by_doc.items():
        if name == "g.conll":
            y_true += labels
            y_pred += by_doc.get(("p.conll", doc), ["O"] * len(labels))
    assert len(gold) == len(y_true) and len(predicted) < len(y_true)
    labels = sorted({*y_true, *y_pred} - {"O"})
    results = [
        evaluate(corpus / "pred.jsonl", corpus / "voci", compat=True, token_label_map=label_map, engine=engine)
        for engine in ("fast", "reference")
    ]
    assert results[0].compat == results[1].compat
    token = results[0].compat["token"]
    assert sorted(token["per_label"]) == labels and token["tokens"] == len(y_true)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    for k, name in enumerate(labels):
        ours = token["per_label"][name]
        assert [ours["precision"], ours["recall"], ours["f1"], ours["support"]] == pytest.approx(
            [precision[k], recall[k], f1[k], support[k]], abs=1e-12
        )
    for average in ("micro", "macro"):
        theirs = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=average, zero_division=0)
        assert [token[average][name] for name in ("precision", "recall", "f1")] == pytest.approx(theirs[:3], abs=1e-12)


def test_gold_and_predictions_in_any_order_line_up_for_nermuds_line_by_line_reading(corpus):
    """NERMuD's script pairs the two files' tags line by line: with a record per document (an empty one where a
    system predicted nothing), both exports list the same tokens in the documents' order, whatever the records'
    order; the figures of that plain reading are compat.token's."""
    from sklearn.metrics import precision_recall_fscore_support

    gold_ids = [gold["id"] for gold in read_jsonl(corpus / "gold.jsonl")]
    predictions = read_jsonl(corpus / "pred.jsonl")
    predicted = {record["id"] for record in predictions}
    predictions += [{"id": doc_id, "entities": [], "claims": []} for doc_id in gold_ids if doc_id not in predicted]
    random.Random(8).shuffle(predictions)
    write_jsonl(corpus / "pred-all.jsonl", predictions)
    maps = [arg for label, name in NERMUD.items() for arg in ("--label-map", f"{label}={name}")]
    segments = ("--segments", str(corpus / "voci"))
    files = [
        export(corpus, name, "conll", f"{name}.conll", *segments, *maps) for name in ("gold.jsonl", "pred-all.jsonl")
    ]
    tokens = [[line.split("\t")[0] for line in path.read_text().splitlines()] for path in files]
    assert tokens[0] == tokens[1] and gold_ids != [doc["id"] for doc in read_jsonl(corpus / "documents.jsonl")]
    y_true, y_pred = (conll_labels(path) for path in files)
    token = evaluate(corpus / "pred.jsonl", corpus / "voci", token_label_map=NERMUD).compat["token"]
    theirs = precision_recall_fscore_support(
        y_true, y_pred, labels=["PER", "LOC", "ORG"], average="micro", zero_division=0
    )
    assert [token["micro"][name] for name in ("precision", "recall", "f1")] == pytest.approx(theirs[:3], abs=1e-12)


# ---------------------------------------------------------------- NewsClaims, from its published definition


def squad_tokens(text: str, italian: bool) -> list[str]:
    """SQuAD's answer normalisation (lower case, punctuation out, articles a/an/the out), or the Italian variant
    the docs define (elided l'/un' first, curly quotes too, then il/lo/la/i/gli/le/un/uno/una)."""
    text = text.lower()
    if italian:
        text = re.sub(r"\b(?:l|un)['’]", " ", text)
    drop = set(string.punctuation) | (set("’‘“”«»…–—") if italian else set())
    text = "".join(char for char in text if char not in drop)
    articles = {"il", "lo", "la", "i", "gli", "le", "un", "uno", "una"} if italian else {"a", "an", "the"}
    return [word for word in text.split() if word not in articles]


def token_f1(prediction: str, truth: str, italian: bool) -> float:
    a, b = Counter(squad_tokens(prediction, italian)), Counter(squad_tokens(truth, italian))
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def peer_newsclaims(gold: dict, predictions: dict, answers: dict, italian: bool) -> dict:
    """NewsClaims' subtasks as its paper and README define them: claim sentences as sets; claimer token F1 per gold
    segment with a claimer, "no claimer" P/R/F1 over gold segments, combined weighted by counts; stance as a
    classification report; claim span token overlap P and R averaged over gold segments."""
    from sklearn.metrics import classification_report

    gold_set = {(doc, seg) for doc, segs in gold.items() for seg in segs}
    pred_set = {(doc, seg) for doc, segs in predictions.items() if doc in gold for seg in segs}
    tp = len(gold_set & pred_set)
    dp, dr = tp / len(pred_set), tp / len(gold_set)
    rows = [(truth, answers[doc][seg]) for doc, segs in gold.items() for seg, truth in segs.items()]
    named = [(t, p) for t, p in rows if t["has_claimer"]]
    scores = np.array(
        [token_f1(p["claimer"] if p["has_claimer"] else "<AUTHOR>", t["claimer"], italian) for t, p in named]
    )
    inside = np.array([t["claimer_in_sentence"] for t, _ in named])
    author_gold = [not t["has_claimer"] for t, _ in rows]
    author_pred = [not p["has_claimer"] for _, p in rows]
    both = sum(g and p for g, p in zip(author_gold, author_pred, strict=True))
    np_, nr = both / max(sum(author_pred), 1), both / max(sum(author_gold), 1)
    nf = 2 * np_ * nr / (np_ + nr) if np_ + nr else 0.0
    report = classification_report(
        [t["stance"] for t, _ in rows], [p["stance"] for _, p in rows], output_dict=True, zero_division=0
    )
    spans = []
    for t, p in rows:
        gold_tokens, pred_tokens = (
            set(range(t["claim_span"][0], t["claim_span"][1] + 1)),
            set(range(p["claim_span"][0], p["claim_span"][1] + 1)),
        )
        spans.append(
            (len(gold_tokens & pred_tokens) / len(pred_tokens), len(gold_tokens & pred_tokens) / len(gold_tokens))
        )
    sp, sr = np.mean(spans, axis=0)
    return {
        "claim_detection": (dp, dr, 2 * dp * dr / (dp + dr)),
        "answer_f1": scores.mean(),
        "no_claimer": (np_, nr, nf),
        "final_f1": (scores.sum() + sum(author_gold) * nf) / (len(scores) + sum(author_gold)),
        "in_sentence_f1": scores[inside].mean(),
        "out_of_sentence_f1": scores[~inside].mean() if (~inside).any() else None,
        "stance": report,
        "claim_span": (sp, sr, 2 * sp * sr / (sp + sr)),
    }


@pytest.mark.parametrize("normalisation", ["english", "italian"])
def test_newsclaims_scoring_of_exported_files_equals_compat_newsclaims(corpus, normalisation):
    segments = ("--segments", str(corpus / "voci"))
    gold = json.loads(export(corpus, "gold.jsonl", "newsclaims", "g.json", *segments).read_text())
    predictions = json.loads(export(corpus, "pred.jsonl", "newsclaims", "p.json", *segments).read_text())
    answers = json.loads(export(corpus, "pred.jsonl", "newsclaims", "a.json", *segments, "--answers").read_text())
    results = [
        evaluate(corpus / "pred.jsonl", corpus / "voci", compat=True, newsclaims_normalisation=normalisation, engine=e)
        for e in ("fast", "reference")
    ]
    assert results[0].compat == results[1].compat
    ours = results[0].compat["newsclaims"]
    theirs = peer_newsclaims(gold, predictions, answers, normalisation == "italian")
    assert ours["normalisation"] == normalisation
    detection, claimer, stance = ours["claim_detection"], ours["claimer"], ours["stance"]
    assert [detection[k] for k in ("precision", "recall", "f1")] == pytest.approx(theirs["claim_detection"])
    assert claimer["answer_f1"] == pytest.approx(theirs["answer_f1"]) and claimer["answers"] > 5
    nc = [claimer[f"no_claimer_{k}"] for k in ("precision", "recall", "f1")]
    assert nc == pytest.approx(theirs["no_claimer"]) and claimer["no_claimer"] > 2
    assert claimer["final_f1"] == pytest.approx(theirs["final_f1"])
    assert claimer["in_sentence_f1"] == pytest.approx(theirs["in_sentence_f1"])
    assert claimer["out_of_sentence_f1"] == pytest.approx(theirs["out_of_sentence_f1"])
    assert stance["accuracy"] == pytest.approx(theirs["stance"]["accuracy"])
    for label, figures in stance["per_label"].items():
        report = theirs["stance"][label]
        assert [figures["precision"], figures["recall"], figures["f1"], figures["support"]] == pytest.approx(
            [report["precision"], report["recall"], report["f1-score"], report["support"]]
        )
    span = ours["claim_span"]
    assert [span[k] for k in ("precision", "recall", "f1")] == pytest.approx(theirs["claim_span"])
    assert 0 < detection["f1"] < 1 and 0 < span["f1"] < 1


def test_answer_normalisations():
    english, italian = NORMALISATIONS["english"], NORMALISATIONS["italian"]
    assert english("The Minister, a man.") == "minister man" and english("l'ANSA") == "lansa"
    assert italian("l’ANSA") == "ansa" and italian("Il ministro e gli esperti dell'Onu") == "ministro e esperti dellonu"
    assert italian("un’agenzia, «La Stampa»") == "agenzia stampa"
    assert answer_f1("l'ANSA", "ANSA", english) == 0.0 and answer_f1("l'ANSA", "ANSA", italian) == 1.0
    assert answer_f1("il ministro Rossi", "Rossi", italian) == pytest.approx(2 * 0.5 / 1.5)


def test_spacy_docbin_reads_back(corpus):
    """The DocBin of the gold, read back by `toolkit convert-predictions --format spacy`, gives its texts, its
    entities (overlapping ones left out, as doc.ents holds none; widened to whole tokens) and its claims with their
    stance and claimer (an entity claimer as its first mention)."""
    from toolkit.bio import resolve_overlaps
    from toolkit.export import spacy_segments

    docbin = export(corpus, "gold.jsonl", "spacy", "gold.spacy")
    args = ["convert-predictions", str(docbin), "--format", "spacy", "--documents", str(corpus / "documents.jsonl")]
    result = runner.invoke(app, [*args, "--out", str(corpus / "back.jsonl")])
    assert result.exit_code == 0, result.output
    back = {record["id"]: record for record in read_jsonl(corpus / "back.jsonl")}
    golds = read_jsonl(corpus / "gold.jsonl")
    documents = {document["id"]: document for document in read_jsonl(corpus / "documents.jsonl")}
    assert set(back) == {gold["id"] for gold in golds}
    widened_somewhere = False
    for gold in golds:
        tokens = spacy_segments(documents[gold["id"]], gold).flat_tokens()

        def widened(start, end, tokens=tokens):
            covered = [token for token in tokens if token[0] < end and start < token[1]]
            return (covered[0][0], covered[-1][1]) if covered else None  # white space only: no span in a Doc

        kept, _ = resolve_overlaps((e["start"], e["end"], e["label"]) for e in gold["entities"])
        expected = [(*widened(s, e), label) for s, e, label in kept if widened(s, e)]
        widened_somewhere |= [(s, e) for s, e, _ in expected] != [(s, e) for s, e, _ in kept]
        assert [(e["start"], e["end"], e["label"]) for e in back[gold["id"]]["entities"]] == expected
        spans = {e["id"]: (e["start"], e["end"]) for e in gold["entities"]}
        claims = []
        for claim in gold["claims"]:
            mentions = sorted(spans[i] for i in claim["claimer"]["entity_ids"])
            claimer = {"start": mentions[0][0], "end": mentions[0][1]} if mentions else claim["claimer"]["kind"].upper()
            if widened(claim["start"], claim["end"]):
                claims.append((*widened(claim["start"], claim["end"]), claim["stance"], json.dumps(claimer)))
        got = [
            (c["start"], c["end"], c["stance"], json.dumps(_span_only(c["claimer"])))
            for c in back[gold["id"]]["claims"]
        ]
        # Claims widened to the same tokens are one span of the group (the reader keeps one per span).
        assert sorted({claim[:2] for claim in got}) == sorted({claim[:2] for claim in claims}) and len(got) == len(
            {claim[:2] for claim in got}
        )
        assert set(got) <= set(claims)
    assert widened_somewhere


def _span_only(claimer):
    return {"start": claimer["start"], "end": claimer["end"]} if isinstance(claimer, dict) else claimer
