"""The command line, `python -m mnist_app COMMAND`: one JSON line out, one line and exit 2 for
bad input. Never imports Streamlit or the web pages."""
