"""bfloat16 only where the CPU has it, oneDNN is on, and no one said otherwise."""

import pytest

from mnist_app import settings
from mnist_app.learning import precision


@pytest.mark.parametrize(
    ("flags", "has"),
    [
        ({"avx512_bf16", "avx512f"}, False),
        ({"amx_bf16", "avx512_bf16"}, True),
        ({"avx2", "fma"}, False),
        (set(), False),
    ],
)
def test_bfloat16_needs_a_cpu_flag_for_it(flags, has):
    assert precision.cpu_flags_have_bfloat16(flags) is has


@pytest.mark.parametrize(("setting", "wanted"), [("0", False), ("1", True), ("off", False), ("Yes", True)])
def test_the_setting_overrides_the_guess(monkeypatch, setting, wanted):
    monkeypatch.setenv(settings.BFLOAT16, setting)
    assert precision.bfloat16_training() is wanted


def test_without_onednn_the_guess_is_no(monkeypatch):
    monkeypatch.delenv(settings.BFLOAT16, raising=False)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert precision.bfloat16_training() is False


@pytest.mark.parametrize(
    ("flags", "gpu", "wanted"), [({"amx_bf16"}, False, True), ({"amx_bf16"}, True, False)]
)
def test_the_guess_wants_the_cpu_flag_and_no_gpu(monkeypatch, flags, gpu, wanted):
    monkeypatch.delenv(settings.BFLOAT16, raising=False)
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setattr(precision, "_cpu_flags", lambda: flags)
    monkeypatch.setattr(precision, "_gpu_visible", lambda: gpu)
    precision._cpu_has_bfloat16.cache_clear()
    try:
        assert precision.bfloat16_training() is wanted
    finally:
        precision._cpu_has_bfloat16.cache_clear()


def test_this_cpus_flags_are_read_from_proc():
    flags = precision._cpu_flags()
    assert not flags or {"fpu", "sse2"} & flags or "fp" in flags, "x86 or Arm feature names"
