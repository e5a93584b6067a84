"""The gold being scored, read from wherever it is: `gold` (the `Gold` the engines compare against), `loading`
(a gold JSONL, a built folder or a Hub id), `parquet` (a built folder's parquet files), `compiled` and `compiler`
(the split compiled for scoring by ``toolkit build``) and `hub` (a dataset on the Hugging Face Hub)."""
