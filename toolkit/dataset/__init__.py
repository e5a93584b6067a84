"""The Hugging Face dataset: features, derived views (sentences, IOB2 tags), build, card and publish."""
