"""CLI subcommands for planbook (registered on ``desktop.cli.cli`` when imported)."""
