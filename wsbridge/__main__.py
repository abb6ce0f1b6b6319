"""``python -m wsbridge`` is the ``wsbridge`` command."""

import sys

from wsbridge.consumer.cli import main

sys.exit(main())
