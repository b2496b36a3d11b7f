"""``python -m tiltaksgraf`` runs the command line."""

import sys

from tiltaksgraf.cli import main

sys.exit(main())
