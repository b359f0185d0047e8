"""lossyscale worker: trains classifiers and runs the stylized-model Monte Carlo with PyTorch.

Spoken to over newline-delimited JSON on stdio (see protocol.py and worker/README.md), or run
standalone on a planned job bundle (``python3 -m lossyscale_worker run-bundle BUNDLE``).
"""

__version__ = "0.1.0"
