"""CLI commands of this stage; they register themselves on ``tiltaksgraf.cli.app``."""

from __future__ import annotations
