"""tiltaksgraf: policy status reports → a knowledge graph you can query and look at.

The Python API in one place::

    import tiltaksgraf
    tiltaksgraf.build([], "out")                       # the bundled report → out/
    store = tiltaksgraf.load("out", store="oxigraph")
    tiltaksgraf.run_query(store, "partners-of", agency="NKVTS")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tiltaksgraf")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__", "build", "load", "named_queries", "run_query", "sparql"]


def __getattr__(name: str):
    """The API functions, imported on first use: ``import tiltaksgraf`` stays cheap for the CLI."""
    if name == "build":
        from tiltaksgraf.pipeline import build

        return build
    if name in ("load", "named_queries", "run_query", "sparql"):
        from tiltaksgraf import api

        return getattr(api, name)
    raise AttributeError(f"module 'tiltaksgraf' has no attribute {name!r}")
