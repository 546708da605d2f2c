"""Whether to train in bfloat16: only where the CPU multiplies bfloat16 in tiles (AMX).

On a CPU with AMX, TensorFlow's oneDNN convolutions in bfloat16 train the CNN about 1.6x as
fast as in float32 to the same accuracy. With AVX-512 BF16 alone (no AMX) oneDNN's bfloat16
is slower than its float32, and without either, or with oneDNN turned off, the same graph
runs some 20x slower (BENCHMARKS.md, "The CNN where the CPU has no AMX"). So it is on only
where AMX and oneDNN are there and no GPU is (a GPU's own choice is TensorFlow's), and
`MNIST_APP_BFLOAT16` set to a yes or a no (`settings.bfloat16`) overrides the guess.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from mnist_app import settings
from mnist_app.learning import tensorflow_runtime

CPU_FLAGS = {"amx_bf16"}


def bfloat16_training() -> bool:
    """True where training steps should compute in bfloat16 (weights stay float32)."""
    chosen = settings.bfloat16()
    if chosen is not None:
        return chosen
    return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0" and _cpu_has_bfloat16() and not _gpu_visible()


def _gpu_visible() -> bool:
    tensorflow_runtime.prepare()
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


@cache
def _cpu_has_bfloat16() -> bool:
    return cpu_flags_have_bfloat16(_cpu_flags())


def cpu_flags_have_bfloat16(flags: set[str]) -> bool:
    return bool(flags & CPU_FLAGS)


def _cpu_flags() -> set[str]:
    """The first processor's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return set(value.split())
    return set()
