"""Entry script of the bundled command-line tool (``plandesk-cli``); PyInstaller freezes it."""

from desktop.cli import main

if __name__ == "__main__":
    main()
