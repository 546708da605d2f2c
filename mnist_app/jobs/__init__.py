"""A training run as a job with a life (queued, running, stopped, done): the queue jobs share
in this process, and the Ray cluster they can run on instead. No Streamlit."""
