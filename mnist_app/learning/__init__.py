"""Keras networks: their architectures, training, evaluation, inspection, and files on disk.

Builds on `datasets`; never imports Streamlit. Modules that need no TensorFlow (limits, curves,
model file checks) keep it out of their imports, so a refusal can come before it; those that
import Keras or TensorFlow call `tensorflow_runtime.prepare()` first.
"""
