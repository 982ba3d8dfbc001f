"""`python -m grader` runs the command line (works where the `grader` script is not on PATH)."""

import sys

from grader.cli import main

sys.exit(main())
