"""``python -m ghostwatch`` runs the command line."""

import sys

from ghostwatch.cli.entry import main

sys.exit(main())
