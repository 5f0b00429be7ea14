"""DNALens: answers from DNA language models — embeddings, nucleotide probabilities and variant effects."""

import os

__version__ = "0.1.0"

# torch's OpenMP threads spin while they wait for work. When other busy processes share the cores, the spinning
# takes the time the working threads need: 3 jobs at once on 2 cores took 3x longer than with passive waiting,
# which costs a quiet run a few per cent (bench/harness.py --only-contention, docs/PERFORMANCE.md P11).
# libgomp reads this once, when torch loads: set here, before any DNALens module imports torch. A user's own
# setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
