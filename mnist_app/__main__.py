"""`python -m mnist_app ...`: the command line."""

import sys

from mnist_app.cli import main

sys.exit(main())
