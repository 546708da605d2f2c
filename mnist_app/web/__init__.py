"""The Streamlit app: the pages and what they share. The only package that imports Streamlit."""
