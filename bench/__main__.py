"""`python -m bench [--quick] [--output FILE] [--keep DIR] [--from-stages DIR]` (`make bench`)."""

import sys

from bench.run import main

sys.exit(main())
