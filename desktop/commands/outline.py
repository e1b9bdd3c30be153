"""CLI subcommands for outline (registered on ``desktop.cli.cli`` when imported)."""
