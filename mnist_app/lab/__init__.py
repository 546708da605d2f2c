"""The lab "Classification Models with Keras", step by step, and its notebook and script."""
