"""An MNIST learning app: explore the digits, train the lab's Keras models, sketch and predict."""

import os

# TensorFlow's start-up chatter (CPU features, missing CUDA) says nothing a learner can act on.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
