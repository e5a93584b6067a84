"""The scoring engines: `registry` names them, `reference` is the definition (plain Python, one document at a
time), `fast` and `fast_claims` count a whole corpus at once with numpy, and `thresholds` holds every switch where
the fast engine leaves the plain path."""
