"""The CLI as tests call it: typer's runner with stderr kept apart, exceptions not caught."""

from __future__ import annotations

from typer.testing import CliRunner

from tiltaksgraf.cli import app

try:  # click ≥ 8.2 keeps stderr apart; older versions need mix_stderr=False
    runner = CliRunner(mix_stderr=False)
except TypeError:
    runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)
