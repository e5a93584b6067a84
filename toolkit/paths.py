"""Where the repository keeps each file by default: named once, used by the library and every command."""

from __future__ import annotations

from pathlib import Path

DEFAULT_DOCUMENTS = Path("annotations/documents.jsonl")
DEFAULT_GOLD = Path("annotations/gold.jsonl")
DEFAULT_AGREEMENT = Path("annotations/agreement.json")
DEFAULT_SCORES = Path("annotations/baseline_scores.json")
DEFAULT_GUIDELINES = Path("docs/guidelines.md")
DEFAULT_CARD = Path("DATASET_CARD.md")
DEFAULT_BUILD = Path("dist/voci")
DEFAULT_PRIVATE = Path("dist/private")  # the withheld gold of blind splits (`toolkit build --blind`)
DEFAULT_LEADERBOARD = Path("dist/leaderboard")
DEFAULT_BUNDLE = Path("dist/codabench.zip")  # `toolkit benchmark-bundle`

# What `toolkit pull` and `toolkit convert-export` write inside their --out folder (nothing else there is touched).
ANNOTATORS_DIR = "annotators"
PROBLEMS_FILE = "conversion-problems.txt"
CONVERTED_FILES = (PROBLEMS_FILE, f"{ANNOTATORS_DIR}/")
# What `toolkit leaderboard` writes into its --out folder, together.
LEADERBOARD_FILES = ("LEADERBOARD.md", "leaderboard.json", "index.html")

# In a voci checkout: the files people edit, and the package folder `toolkit schemas` copies them into.
SCHEMAS_FOLDER = Path("schemas")
SOURCE_INVENTORY = SCHEMAS_FOLDER / "labels.json"
PACKAGE_RESOURCES = Path("toolkit/resources")
