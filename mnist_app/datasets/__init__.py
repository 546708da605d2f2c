"""The digits: datasets and their files, the learner's own digits, images prepared as MNIST's.

The bottom layer: NumPy, Pillow and SQLite only, never TensorFlow, Keras or Streamlit, so the
command line can check a file, and the first page can show digits, before TensorFlow starts.
"""
