"""An MNIST learning app: explore the digits, train the lab's Keras models, sketch and predict."""

import os

# TensorFlow's start-up chatter (CPU features, missing CUDA) says nothing a learner can act on.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Let XLA fuse sibling loops into one (off by default in XLA:CPU): it makes Adam's three
# updates of a weight matrix one pass over memory (`optimizers.OnePassAdam`), 10% of a
# training step. XLA reads its flags at the process's first compilation, which is a
# training step's: nothing in the app compiles with XLA before it.
_FUSION_OPTION = "--xla_backend_extra_options=xla_cpu_use_multi_output_fusion"
if "xla_backend_extra_options" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_FUSION_OPTION}".strip()
