"""The built-in course and report templates, shipped inside the wheel.

In a source checkout these are links to the repository's top-level `assignments/`, `reference/`
and `templates/`; the wheel holds real copies, found through `importlib.resources`.
"""
