"""pyvis' ``Network`` class, imported without paying for IPython (see ``pyvis_network``)."""

from __future__ import annotations

import sys
import types
from functools import lru_cache


@lru_cache(maxsize=1)
def pyvis_network():
    """pyvis' ``Network``. pyvis.network imports IPython (a second of start-up) only to show
    notebook IFrames, which a page written to disk never uses. Outside a notebook — IPython not
    loaded yet — the import gets a placeholder ``IPython.display`` that is removed again at once,
    so a real IPython imported later is untouched."""
    if "IPython" in sys.modules:
        from pyvis.network import Network

        return Network
    placeholder = types.ModuleType("IPython")
    display = types.ModuleType("IPython.display")

    class IFrame:  # stands in for IPython.display.IFrame
        def __init__(self, *args, **kwargs):
            raise RuntimeError("IPython was not loaded when pyvis was imported; use the HTML file")

    display.IFrame = IFrame
    placeholder.display = display
    sys.modules["IPython"], sys.modules["IPython.display"] = placeholder, display
    try:
        from pyvis.network import Network
    finally:
        del sys.modules["IPython"], sys.modules["IPython.display"]
    return Network
