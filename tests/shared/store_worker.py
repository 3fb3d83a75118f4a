"""A separate process that records ratings into a store and prints each id once it is acknowledged.

Used by the multi-process and crash tests: a line ``ack <id>`` is printed (and flushed)
only after ``record_rating`` returned, so every printed id must survive anything.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--count", type=int, default=0, help="0: until killed")
    parser.add_argument("--below-every", type=int, default=5)
    args = parser.parse_args()
    store = FeedbackStore(args.data)
    number = 0
    while args.count == 0 or number < args.count:
        outcome = Outcome.BELOW if number % args.below_every == 0 else Outcome.MET
        rating_id = f"{args.prefix}-{number}"
        store.record_rating(
            Rating(id=rating_id, ts=datetime.now(UTC), channel=Channel.KIOSK, outcome=outcome, station=args.prefix)
        )
        sys.stdout.write(f"ack {rating_id}\n")
        sys.stdout.flush()
        number += 1


if __name__ == "__main__":
    main()
