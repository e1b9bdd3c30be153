"""Entry script of the bundled command-line tool (``plandesk-cli``); PyInstaller freezes it."""

import multiprocessing

from desktop.cli import main

if __name__ == "__main__":
    # A reader process of a frozen executable starts it again: run its work, not the CLI.
    multiprocessing.freeze_support()
    main()
