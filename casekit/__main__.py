"""``python -m casekit``: the same as the ``casekit`` command."""

import sys

from casekit.cli import main

sys.exit(main())
