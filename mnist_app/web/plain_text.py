"""The one boundary for shown text: what came from outside the app's code is shown as its characters.

Streamlit renders Markdown, with its own colour and icon directives (`:red[...]`), in
captions, messages, headings, `st.markdown` and `st.write`, image captions, progress text,
tab labels, metric labels and values, widget labels and `help` tooltips. A model file named
`![x](https:elsewhere.example).keras`, or a class of that name in its description, would make
every visitor's browser fetch that address. So the rule: a string from a file, a folder's
name, a model (its name, description or layers) or a visitor (a typed path, an upload's name)
enters Markdown only through `literal`, and HTML only through `html.escape`. Select boxes'
options, tables, charts, code and text boxes show text as it is; they take such strings
unescaped. `tests/web/pages/test_odd_names.py` names everything in Markdown and HTML and
walks every page.
"""

from __future__ import annotations

from mnist_app.markdown import literal

__all__ = ["literal"]
