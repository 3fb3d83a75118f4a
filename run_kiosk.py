"""Start the counter kiosk: the same as ``feedback kiosk``."""

import sys

from feedback.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["kiosk", *sys.argv[1:]]))
