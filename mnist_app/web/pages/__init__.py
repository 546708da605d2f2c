"""The seven pages, each a script that `st.Page` runs by its path (app.py); never imported.

A package only so that `lint-imports` follows their imports too.
"""
