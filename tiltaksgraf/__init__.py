"""tiltaksgraf: policy status reports → a knowledge graph you can query and look at.

The Python API in one place::

    import tiltaksgraf
    tiltaksgraf.build([], "out")                       # the bundled report → out/
    store = tiltaksgraf.load("out", store="oxigraph")
    tiltaksgraf.run_query(store, "partners-of", agency="NKVTS")
"""

from __future__ import annotations

__all__ = ["__version__", "build", "load", "named_queries", "run_query", "sparql"]


def __getattr__(name: str):
    """The API functions and ``__version__``, made on first use: ``import tiltaksgraf`` stays
    cheap for the CLI (reading the installed version scans the package metadata, ~2.5 ms)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("tiltaksgraf")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0.0.0"
    if name == "build":
        from tiltaksgraf.pipeline import build

        return build
    if name in ("load", "named_queries", "run_query", "sparql"):
        from tiltaksgraf import api

        return getattr(api, name)
    raise AttributeError(f"module 'tiltaksgraf' has no attribute {name!r}")
