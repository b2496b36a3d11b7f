"""``python -m tiltaksgraf`` runs the command line."""

from tiltaksgraf.cli import run

run()
