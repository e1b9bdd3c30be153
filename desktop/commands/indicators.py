"""CLI subcommands for indicators (registered on ``desktop.cli.cli`` when imported)."""
