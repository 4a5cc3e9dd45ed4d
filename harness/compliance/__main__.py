"""python -m harness.compliance: make evidence."""

import sys

from harness.compliance import main

sys.exit(main())
