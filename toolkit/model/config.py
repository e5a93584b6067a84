"""The spaCy training config `toolkit train` writes into MODEL_DIR: a blank pipeline for the language (no
pretrained vectors, nothing downloaded), one shared ``tok2vec``, ``ner`` for entities and, when the training data
has claims, ``span_finder`` for claim spans.

Why ``span_finder`` rather than ``spancat``'s n-gram suggester: a claim is a clause, often 10–40 tokens long; an
n-gram suggester proposing every span up to that length is quadratic in the sentence, while ``span_finder`` (spaCy's
standard component for long spans) tags the tokens that start and end a claim and pairs them.
The defaults were chosen by measurement (`benchmarks/bench_train.py`, docs/model.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from toolkit.model.examples import CLAIMS_KEY


@dataclass(frozen=True)
class Settings:
    """What `benchmarks/bench_train.py` tunes; everything else is spaCy's default for a CPU pipeline."""

    width: int = 64
    depth: int = 4
    window: int = 1
    encoder: str = "maxout"  # a key of ENCODERS
    embed: str = "multihash"  # a key of EMBEDDINGS
    rows: tuple[int, int, int, int] = (20000, 2000, 5000, 1000)  # hash-embedding rows: NORM, PREFIX, SUFFIX, SHAPE
    ner_hidden: int = 64  # the ner parser's hidden layer: width, maxout pieces, and whether it has one (use_upper)
    ner_pieces: int = 2
    ner_upper: bool = False  # without: 52–55 documents per CPU second against 32–40, same F1 (docs/model.md)
    dropout: float = 0.1
    learn_rate: float = 0.001
    averages: bool = True  # predict with the parameters' moving averages (the optimizer's use_averages)
    batch_start: int = 100  # words per batch, compounding up to batch_stop
    batch_stop: int = 1000
    max_steps: int = 20000
    eval_frequency: int = 200
    patience: int = 1600
    claim_max_length: int = 60  # tokens
    piece_tokens: int = 30  # training examples of about this many tokens, cut at line breaks (0: whole documents)

    def as_json(self) -> dict:
        return asdict(self)


# spaCy's window encoders (Maxout is its CPU default; Mish measured no faster, docs/model.md)
ENCODERS = {
    "mish": '@architectures = "spacy.MishWindowEncoder.v2"',
    "maxout": '@architectures = "spacy.MaxoutWindowEncoder.v2"\nmaxout_pieces = 3',
}


# spaCy's token embeddings: hashed NORM/PREFIX/SUFFIX/SHAPE rows, or NORM rows plus the first and last characters
EMBEDDINGS = {
    "multihash": """@architectures = "spacy.MultiHashEmbed.v2"
width = {width}
attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
rows = [{rows}]
include_static_vectors = false""",
    "character": """@architectures = "spacy.CharacterEmbed.v2"
width = {width}
rows = {norm_rows}
nM = 64
nC = 8
feature = "NORM"
include_static_vectors = false""",
}


TEMPLATE = """\
[paths]
train = "train.spacy"
dev = "dev.spacy"

[system]
gpu_allocator = null
seed = {seed}

[nlp]
lang = "{lang}"
pipeline = {pipeline}
batch_size = 256

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

[components.tok2vec.model.embed]
{embed}

[components.tok2vec.model.encode]
{encoder}
width = {width}
depth = {depth}
window_size = {window}

[components.ner]
factory = "ner"

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = {ner_hidden}
maxout_pieces = {ner_pieces}
use_upper = {ner_upper}

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = {width}
upstream = "tok2vec"
{claims}
[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}

[training]
seed = ${{system.seed}}
dropout = {dropout}
patience = {patience}
max_epochs = 0
max_steps = {max_steps}
eval_frequency = {eval_frequency}

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = {learn_rate}
use_averages = {averages}

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2

[training.batcher.size]
@schedules = "compounding.v1"
start = {batch_start}
stop = {batch_stop}
compound = 1.001

[training.score_weights]
{weights}
[initialize]
"""

CLAIMS = """
[components.span_finder]
factory = "span_finder"
spans_key = "{key}"
threshold = 0.5
max_length = {max_length}

[components.span_finder.model]
@architectures = "spacy.SpanFinder.v1"

[components.span_finder.model.scorer]
@layers = "spacy.LinearLogistic.v1"
nO = 2

[components.span_finder.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = {width}
upstream = "tok2vec"
"""


def training_config(lang: str, seed: int, settings: Settings, claims: bool) -> str:
    """The config.cfg text (paths relative to MODEL_DIR, where the DocBins are written)."""
    pipeline = ["tok2vec", "ner"] + (["span_finder"] if claims else [])
    weights = f"ents_f = 0.5\nspan_finder_{CLAIMS_KEY}_f = 0.5\n" if claims else "ents_f = 1.0\n"
    return TEMPLATE.format(
        seed=seed,
        lang=lang,
        pipeline="[" + ", ".join(f'"{name}"' for name in pipeline) + "]",
        width=settings.width,
        depth=settings.depth,
        window=settings.window,
        encoder=ENCODERS[settings.encoder],
        embed=EMBEDDINGS[settings.embed].format(
            width=settings.width, rows=", ".join(str(count) for count in settings.rows), norm_rows=settings.rows[0]
        ),
        averages=str(settings.averages).lower(),
        ner_hidden=settings.ner_hidden,
        ner_pieces=settings.ner_pieces,
        ner_upper=str(settings.ner_upper).lower(),
        dropout=settings.dropout,
        patience=settings.patience,
        max_steps=settings.max_steps,
        eval_frequency=settings.eval_frequency,
        learn_rate=settings.learn_rate,
        batch_start=settings.batch_start,
        batch_stop=settings.batch_stop,
        claims=CLAIMS.format(key=CLAIMS_KEY, max_length=settings.claim_max_length, width=settings.width)
        if claims
        else "",
        weights=weights,
    )
