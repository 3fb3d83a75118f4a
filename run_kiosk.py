"""Start the counter kiosk: the same as ``feedback kiosk``; ``--manager`` starts the managers' console."""

import sys

from feedback.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--manager" in args:
        args.remove("--manager")
        raise SystemExit(main(["manager", *args]))
    raise SystemExit(main(["kiosk", *args]))
