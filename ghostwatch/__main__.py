"""``python -m ghostwatch`` runs the command line."""

import sys

from ghostwatch.cli import main

sys.exit(main())
