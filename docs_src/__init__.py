"""The code examples of the documentation site, each included into a page and run by tests/docs."""
