"""voci: an annotated Italian news dataset of who claims what, and the toolkit that makes and scores it."""

DISTRIBUTION = "voci-toolkit"


def __getattr__(name: str):
    """``toolkit.__version__``: the installed distribution's version (pyproject.toml, via the package metadata),
    looked up on first use only, so that commands that never print it do not pay for reading the metadata."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version(DISTRIBUTION)
        except PackageNotFoundError:  # a source tree that was never installed
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
