"""`python -m brique ...` is the `brique` command."""
import sys

from .cli import main

sys.exit(main())
