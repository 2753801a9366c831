"""``python -m daemon.cli``: the ``keepwarm`` command from a checkout."""

import sys

from daemon.cli.main import main

sys.exit(main())
