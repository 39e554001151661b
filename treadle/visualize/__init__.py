"""Docs drawn as HTML: dependency arcs, entity marks and span bands (``render``), and a
small web server for them (``serve``)."""

from __future__ import annotations

from treadle.errors import VisualizeError
from treadle.visualize._common import LABEL_COLORS
from treadle.visualize.render import STYLES, render
from treadle.visualize.server import make_server, serve

__all__ = ["LABEL_COLORS", "STYLES", "VisualizeError", "make_server", "render", "serve"]
