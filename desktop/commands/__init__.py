"""Subcommands of the ``plandesk`` CLI, one module each; importing a module registers it."""
