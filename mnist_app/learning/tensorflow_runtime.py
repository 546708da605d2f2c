"""TensorFlow's settings for this process, given before TensorFlow reads them; nothing at import.

Every module here that imports Keras or TensorFlow calls `prepare()` first (at its top, or in
the function that imports them), so whichever loads TensorFlow first in a process, the server,
the command line, a Ray worker or a test, loads it prepared:

- TensorFlow's start-up chatter (CPU features, missing CUDA) says nothing a learner can act
  on: `TF_CPP_MIN_LOG_LEVEL` 2 unless set. TensorFlow reads it as it loads, so it is set only
  while TensorFlow is not loaded yet.
- XLA fuses sibling loops into one (off by default in XLA:CPU): it makes Adam's three updates
  of a weight matrix one pass over memory (`optimizers.OnePassAdam`), 10% of a training step.
  XLA reads its flags at the process's first compilation, which is a training step's (nothing
  here compiles with XLA before one), not at TensorFlow's import: the option is added to
  `XLA_FLAGS` whenever they do not already choose `xla_backend_extra_options` themselves.
"""

from __future__ import annotations

import os
import sys

LOG_LEVEL = "2"
FUSION_OPTION = "--xla_backend_extra_options=xla_cpu_use_multi_output_fusion"


def prepare() -> None:
    """Set what TensorFlow and XLA have yet to read, leaving a user's own settings alone."""
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", LOG_LEVEL)
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_extra_options" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {FUSION_OPTION}".strip()
