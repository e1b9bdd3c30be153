"""Workbooks: reporting templates, importers and roll-up exports. Never imports Qt."""
