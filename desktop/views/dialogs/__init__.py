"""Dialogs: forms that edit one thing, and import previews."""
