"""`python -m dnalens …`, as torchrun starts it: `torchrun --nproc-per-node N -m dnalens variants …`."""

import sys

from .cli import main

sys.exit(main())
