"""Run the desktop application with ``python -m desktop``."""

import multiprocessing

from desktop.app import main

# Guarded: a reader process started with "spawn" imports this module as __mp_main__.
if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
