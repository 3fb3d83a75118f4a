"""Staff views, answers and check-backs whose every figure is worked out by hand (in the comments).

The same shop and day as :mod:`tests.manager.dataset` (New York, Tue 10 Nov 2026), its own store.

Nine pairs::

    #  staff  station   channel  staff said  customer said
    1  ann    front     kiosk    exceeded    met
    2  ann    front     kiosk    exceeded    exceeded      agreed
    3  ann    front     kiosk    exceeded    below         surprise (reason: wait time)
    4  ann    front     kiosk    met         met           agreed
    5  ann    front     kiosk    met         exceeded
    6  bob    drive-in  sms      exceeded    below         surprise (reason: price; their comment is not copied)
    7  bob    drive-in  sms      met         below         surprise
    8  bob    drive-in  sms      below       below         agreed
    9  cy     back      kiosk    met         met           agreed (the kiosk's own staff key)

Overall: staff exceeded 4/9, met 4/9, below 1/9; customers exceeded 2/9, met 3/9, below 4/9; agreed 4/9.
Wilson 95 % for 4 of 9: centre (4/9 + z²/18) / (1 + z²/9) = 0.4611, half-width 0.2723 → 0.1888–0.7334.
ann: staff 3/5 exceeded, 2/5 met; customers 2/5 exceeded, 2/5 met, 1/5 below; agreed 2/5.
bob: staff 1/3 each; customers 3/3 below; agreed 1/3.  cy: 1 pair, agreed 1/1. Every group is small (< 30).

Not paired: a view at front nobody answered within 120 s, and a kiosk answer at front with no view.

Check-backs (the two follow-ups of the day): #3's customer said yes after "recovered" (made right), #6's
said no after "apologised"; #7's was texted and never answered. Recovered: asked 1, answered 1, made right
1/1; apologised: asked 2, answered 1, made right 0/1; all: asked 3, answered 2, made right 1/2.
"""

from __future__ import annotations

from datetime import timedelta

from shared.check_backs import CheckBack
from shared.followups import Resolution
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore
from tests.manager.dataset import local

PHONE = "+15555550101"


def build(store: FeedbackStore) -> dict[int, Rating]:
    answers: dict[int, Rating] = {}

    def kiosk(number: int, minute: int, view: str, answer: str, *, staff: str, station: str, **fields: object) -> None:
        at = local(9, minute)
        store.record_interaction(f"i-{number}", Outcome(view), staff=staff, station=station, now=at)
        rating = Rating(
            id=f"k{number}",
            ts=at + timedelta(seconds=30),
            channel=Channel.KIOSK,
            outcome=Outcome(answer),
            station=station,
            **fields,
        )  # type: ignore[arg-type]
        answers[number] = store.record_rating(rating, now=rating.ts).rating

    def sms(number: int, minute: int, view: str, answer: str, **fields: object) -> None:
        at = local(12, minute)
        store.record_interaction(
            f"i-{number}",
            Outcome(view),
            staff="bob",
            station="drive-in",
            prompt=f"SM{number}",
            expires_after=timedelta(hours=48),
            now=at,
        )
        rating = Rating(
            id=f"s{number}",
            ts=at + timedelta(minutes=10),
            channel=Channel.SMS,
            outcome=Outcome(answer),
            contact=Contact(PHONE),
            extra={"prompt": f"SM{number}"},
            **fields,
        )  # type: ignore[arg-type]
        answers[number] = store.record_rating(rating, now=rating.ts).rating

    kiosk(1, 0, "exceeded", "met", staff="ann", station="front")
    kiosk(2, 5, "exceeded", "exceeded", staff="ann", station="front")
    kiosk(3, 10, "exceeded", "below", staff="ann", station="front", reasons=("wait time",), contact=Contact(PHONE))
    kiosk(4, 15, "met", "met", staff="ann", station="front")
    kiosk(5, 20, "met", "exceeded", staff="ann", station="front")
    sms(6, 0, "exceeded", "below", comment="cold", reasons=("price",))
    sms(7, 5, "met", "below")
    sms(8, 10, "below", "below")
    own = Rating(
        id="k9",
        ts=local(15),
        channel=Channel.KIOSK,
        outcome=Outcome.MET,
        station="back",
        staff="cy",
        extra={"staff_view": "met"},
    )
    answers[9] = store.record_rating(own, now=own.ts).rating
    # Not paired: answered 3 minutes after the view (the window is 120 s); an answer with no view.
    store.record_interaction("i-late", Outcome.EXCEEDED, staff="ann", station="front", now=local(16))
    late = Rating(id="k10", ts=local(16, 3), channel=Channel.KIOSK, outcome=Outcome.BELOW, station="front")
    store.record_rating(late, now=late.ts)

    resolved = local(18)
    for number, resolution in ((3, Resolution.RECOVERED), (6, Resolution.APOLOGISED), (7, Resolution.APOLOGISED)):
        store.resolve(f"fu-{answers[number].id}", resolution, by="dee", now=resolved)
    checks = {n: CheckBack.for_followup(store.get_followup(f"fu-{answers[n].id}"), timedelta(0)) for n in (3, 6, 7)}
    store.schedule_check_backs(list(checks.values()))
    for number, said in ((3, Outcome.MET), (6, Outcome.BELOW), (7, None)):
        sent = checks[number].sent(resolved, timedelta(hours=48))
        store.save_check_back(sent if said is None else sent.answered(said, resolved + timedelta(minutes=5)))
    return answers
