"""The reply parser: a table per rule, the real-world table by category, and properties that hold for any text."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sms_helpers import CUSTOMER, Texter

from shared.ratings import Outcome
from shared.store import FeedbackStore
from sms.records import SmsRecords
from sms.replies import RULES, Reply, ReplyKind, parse_reply
from sms.settings import DEFAULT_TEXTS
from sms.words import lexicon

BELOW, MET, EXCEEDED = Outcome.BELOW, Outcome.MET, Outcome.EXCEEDED
RATING, OPT_OUT, OPT_IN, HELP, UNCLEAR = (
    ReplyKind.RATING,
    ReplyKind.OPT_OUT,
    ReplyKind.OPT_IN,
    ReplyKind.HELP,
    ReplyKind.UNCLEAR,
)
QUESTION = (
    "Corner Cafe: Did we meet your expectations today? Reply 1 if we fell short, 2 if we met them, "
    "3 if we exceeded them. Reply STOP to opt out."
)

# text, kind, outcome, comment, rule
CASES = [
    # keyword: Twilio's defaults, alone in the message, any case, punctuation or emoji
    ("STOP", OPT_OUT, None, "", "keyword"),
    ("Stop.", OPT_OUT, None, "", "keyword"),
    ("STOP!!", OPT_OUT, None, "", "keyword"),
    ("stop 🛑", OPT_OUT, None, "", "keyword"),
    ("STOPALL", OPT_OUT, None, "", "keyword"),
    ("stop all", OPT_OUT, None, "", "keyword"),
    ("Unsubscribe", OPT_OUT, None, "", "keyword"),
    ("cancel", OPT_OUT, None, "", "keyword"),
    ("END", OPT_OUT, None, "", "keyword"),
    ("quit", OPT_OUT, None, "", "keyword"),
    ("REVOKE", OPT_OUT, None, "", "keyword"),
    ("optout", OPT_OUT, None, "", "keyword"),
    ("Opt-out", OPT_OUT, None, "", "keyword"),
    ("START", OPT_IN, None, "", "keyword"),
    ("unstop", OPT_IN, None, "", "keyword"),
    ("HELP", HELP, None, "", "keyword"),
    ("info?", HELP, None, "", "keyword"),
    # a keyword with courtesies is still the keyword alone
    ("Please stop", OPT_OUT, None, "", "keyword"),
    ("Stop please", OPT_OUT, None, "", "keyword"),
    ("stop merci", OPT_OUT, None, "", "keyword"),
    ("help please", HELP, None, "", "keyword"),
    # opt_out_phrase: plain wording, English and Spanish; never a complaint that says "stop"
    ("stop texting me", OPT_OUT, None, "", "opt_out_phrase"),
    ("stop texting me please", OPT_OUT, None, "", "opt_out_phrase"),
    ("Please stop sending me messages", OPT_OUT, None, "", "opt_out_phrase"),
    ("don't text me again", OPT_OUT, None, "", "opt_out_phrase"),
    ("Do not contact me", OPT_OUT, None, "", "opt_out_phrase"),
    ("unsubscribe me", OPT_OUT, None, "", "opt_out_phrase"),
    ("remove me from your list", OPT_OUT, None, "", "opt_out_phrase"),
    ("no more texts please", OPT_OUT, None, "", "opt_out_phrase"),
    ("1 stop texting me", OPT_OUT, None, "", "opt_out_phrase"),
    ("para de enviarme mensajes", OPT_OUT, None, "", "opt_out_phrase"),
    ("no me escribas más", OPT_OUT, None, "", "opt_out_phrase"),
    ("baja", OPT_OUT, None, "", "opt_out_phrase"),
    ("can you stop texting me?", OPT_OUT, None, "", "opt_out_phrase"),  # a request, though asked
    ("I said stop", OPT_OUT, None, "", "opt_out_phrase"),
    ("Wrong number, stop", OPT_OUT, None, "", "opt_out_phrase"),
    ("Remove me? no", UNCLEAR, None, "", "opt_out_phrase"),  # asked, not said
    ("take me off the list? no thanks", UNCLEAR, None, "", "opt_out_phrase"),
    ("I'll unsubscribe if you keep texting", UNCLEAR, None, "", "opt_out_phrase"),  # a condition
    ("stop, you're making me blush", UNCLEAR, None, "", "none"),
    ("the staff wouldn't leave me alone", UNCLEAR, None, "", "none"),  # pushy staff, not our texts
    ("take me off your waiting list", UNCLEAR, None, "", "none"),
    ("don't text me, call me", UNCLEAR, None, "", "opt_out_phrase"),  # another way to reach them
    ("stop texting me so early", UNCLEAR, None, "", "opt_out_phrase"),  # only some times
    ("leave me alone", OPT_OUT, None, "", "opt_out_phrase"),
    ("do not contact me about the refund", UNCLEAR, None, "", "opt_out_phrase"),  # something else
    ("opt me out of the loyalty scheme", UNCLEAR, None, "", "opt_out_phrase"),
    ("no more texts from your store", OPT_OUT, None, "", "opt_out_phrase"),
    ("no, stop", UNCLEAR, None, "", "words"),
    ("1. Stop.", UNCLEAR, None, "", "rating"),
    ("the staff wouldn't stop talking", UNCLEAR, None, "", "none"),
    ("Reply STOP to opt out", UNCLEAR, None, "", "echo"),
    ("wrong number", UNCLEAR, None, "", "words"),
    # reaction: only what stands outside the quote decides; the quote is never read for keywords or numbers
    (f"Liked “{QUESTION}”", RATING, MET, "", "reaction"),
    (f"Loved “{QUESTION}”", RATING, EXCEEDED, "", "reaction"),
    (f"Disliked “{QUESTION}”", RATING, BELOW, "", "reaction"),
    (f"Laughed at “{QUESTION}”", UNCLEAR, None, "", "reaction"),
    (f"Questioned “{QUESTION}”", UNCLEAR, None, "", "reaction"),
    (f"Removed a like from “{QUESTION}”", UNCLEAR, None, "", "reaction"),
    (f"Reacted 😡 to “{QUESTION}”", RATING, BELOW, "", "reaction"),
    (f"👍 to “{QUESTION}”", RATING, MET, "", "reaction"),
    (f"Reacted with 🤩 to “{QUESTION}”", RATING, EXCEEDED, "", "reaction"),
    (f"Removed 👍 from “{QUESTION}”", UNCLEAR, None, "", "reaction"),
    (f"Le gustó “{QUESTION}”", RATING, MET, "", "reaction"),
    (f"No le gustó “{QUESTION}”", RATING, BELOW, "", "reaction"),
    (f"A aimé « {QUESTION} »", RATING, MET, "", "reaction"),
    (f"N’a pas aimé « {QUESTION} »", RATING, BELOW, "", "reaction"),
    (f"Gefällt „{QUESTION}“", RATING, MET, "", "reaction"),
    (f"Hebt „{QUESTION}“ hervor", UNCLEAR, None, "", "reaction"),
    (f"Curtiu “{QUESTION}”", RATING, MET, "", "reaction"),
    (f"Ha messo Mi piace a “{QUESTION}”", RATING, MET, "", "reaction"),
    ("Loved “Corner Cafe: Did we meet your expectations today? Reply 1 if we fell…”", RATING, EXCEEDED, "", "reaction"),
    (
        'Liked "Corner Cafe: Did we meet your expectations today? Reply 1 if we fell short, 2 if',
        RATING,
        MET,
        "",
        "reaction",
    ),
    (f"Vind ik leuk “{QUESTION}”", UNCLEAR, None, "", "reaction"),  # a language we do not know: a person reads it
    ("Liked “Thank you! We are delighted we exceeded your expectations. See you soon.”", UNCLEAR, None, "", "reaction"),
    ("Liked an image", UNCLEAR, None, "", "reaction"),
    # rating: a leading answer, the comment after it
    ("1", RATING, BELOW, "", "rating"),
    ("2", RATING, MET, "", "rating"),
    ("3!", RATING, EXCEEDED, "", "rating"),
    ("(1)", RATING, BELOW, "", "rating"),
    ("#3", RATING, EXCEEDED, "", "rating"),
    ("３", RATING, EXCEEDED, "", "rating"),
    ("１ 待ち時間が長い", RATING, BELOW, "待ち時間が長い", "rating"),
    ("3️⃣", RATING, EXCEEDED, "", "rating"),
    ("1 - the wait was too long", RATING, BELOW, "the wait was too long", "rating"),
    ("3 Maria was wonderful", RATING, EXCEEDED, "Maria was wonderful", "rating"),
    ("3 exceeded", RATING, EXCEEDED, "", "rating"),
    ("3 👍", RATING, EXCEEDED, "", "rating"),
    ("Option 1", RATING, BELOW, "", "rating"),
    ("I'd say 2", RATING, MET, "", "rating"),
    ("a 3", RATING, EXCEEDED, "", "rating"),
    ("three", RATING, EXCEEDED, "", "rating"),
    ("tres", RATING, EXCEEDED, "", "rating"),
    ("exceded", RATING, EXCEEDED, "", "rating"),
    ("Fell short - no one at the desk", RATING, BELOW, "no one at the desk", "rating"),
    ("👍", RATING, MET, "", "rating"),
    ("😡😡😡", RATING, BELOW, "", "rating"),
    ("#front-desk 3", RATING, EXCEEDED, "", "rating"),
    ("3\n\nSent from my iPhone", RATING, EXCEEDED, "", "rating"),
    # rating: stated scales count only at their ends; x/3 is the answer x
    ("2/3", RATING, MET, "", "rating"),
    ("1 out of 3", RATING, BELOW, "", "rating"),
    ("10/10", RATING, EXCEEDED, "", "rating"),
    ("5 stars", RATING, EXCEEDED, "", "rating"),
    ("⭐⭐⭐⭐⭐", RATING, EXCEEDED, "", "rating"),
    ("0/10", RATING, BELOW, "", "rating"),
    ("1 star", RATING, BELOW, "", "rating"),
    ("7/10", UNCLEAR, None, "", "rating"),
    ("3 out of 10", UNCLEAR, None, "", "rating"),
    ("3 stars", UNCLEAR, None, "", "rating"),
    ("⭐", UNCLEAR, None, "", "rating"),
    # rating: contradictions and other numbers are unclear
    ("1 2 3", UNCLEAR, None, "", "rating"),
    ("1 or 3", UNCLEAR, None, "", "rating"),
    ("2 maybe 3", UNCLEAR, None, "", "rating"),
    ("13", UNCLEAR, None, "", "rating"),
    ("5", UNCLEAR, None, "", "rating"),
    ("3.5", UNCLEAR, None, "", "rating"),
    ("1 exceeded", UNCLEAR, None, "", "rating"),
    ("1 great service", UNCLEAR, None, "", "rating"),
    ("1 👍", UNCLEAR, None, "", "rating"),
    ("👍👎", UNCLEAR, None, "", "rating"),
    # a number with a unit is an amount: the words decide
    ("3 hours wait, terrible", RATING, BELOW, "3 hours wait, terrible", "words"),
    ("2 hours to get seen. never again", RATING, BELOW, "2 hours to get seen. never again", "words"),
    ("3pm", UNCLEAR, None, "", "none"),
    ("$3", UNCLEAR, None, "", "none"),
    ("1:30", UNCLEAR, None, "", "none"),
    ("2nd", UNCLEAR, None, "", "none"),
    ("3 people", UNCLEAR, None, "", "none"),
    # words: yes/no, idioms, negation, typos, Spanish
    ("yes", RATING, MET, "", "words"),
    ("Absolutely", RATING, MET, "", "words"),
    ("Sure did", RATING, MET, "", "words"),
    ("Nope.", RATING, BELOW, "", "words"),
    ("Hell no", RATING, BELOW, "", "words"),
    ("No thanks", UNCLEAR, None, "", "words"),
    ("not met", RATING, BELOW, "", "words"),
    ("didn't meet expectations", RATING, BELOW, "", "words"),
    ("not bad", RATING, MET, "", "words"),
    ("not great", RATING, BELOW, "", "words"),
    ("not quite", RATING, BELOW, "", "words"),
    ("no complaints", RATING, MET, "", "words"),
    ("couldn't be better", RATING, EXCEEDED, "", "words"),
    ("could have been better", RATING, BELOW, "", "words"),
    ("no complaints, it was great", RATING, EXCEEDED, "", "words"),
    ("Yes!! Amazing", RATING, EXCEEDED, "", "words"),
    ("No, it was great", UNCLEAR, None, "", "words"),
    ("The staff were fantastic", RATING, EXCEEDED, "The staff were fantastic", "words"),
    ("Great service from Ana", RATING, EXCEEDED, "Great service from Ana", "words"),
    ("excelent", RATING, EXCEEDED, "", "words"),
    ("gr8", RATING, EXCEEDED, "", "words"),
    ("sooo slow", RATING, BELOW, "", "words"),
    ("unsatisfied", RATING, BELOW, "", "words"),  # a word of its own, never a typo of "satisfied"
    ("appointment", UNCLEAR, None, "", "none"),  # not a typo of "disappointment"
    ("sí", RATING, MET, "", "words"),
    ("pésimo", RATING, BELOW, "", "words"),
    ("excelente", RATING, EXCEEDED, "", "words"),
    ("muy bien", RATING, MET, "", "words"),
    ("no muy bien", RATING, BELOW, "", "words"),
    ("good but slow", UNCLEAR, None, "", "words"),
    ("The staff were lovely but I waited 40 minutes for a coffee, which is ridiculous.", UNCLEAR, None, "", "words"),
    ("Have a nice day", UNCLEAR, None, "", "none"),
    ("thanks", UNCLEAR, None, "", "none"),
    ("lol", UNCLEAR, None, "", "none"),
    ("", UNCLEAR, None, "", "none"),
    ("who is this?", UNCLEAR, None, "", "words"),
    # echo: our question pasted back without quotation marks; only the rest is read, never for an opt-out
    ("Did we meet your expectations? yes", RATING, MET, "", "words"),
    ("Re: Did we meet your expectations? 1", RATING, BELOW, "", "rating"),
    (f"{QUESTION} 3", RATING, EXCEEDED, "", "rating"),
    ("3 if we exceeded them", UNCLEAR, None, "", "echo"),  # our own "3 if…": a person reads it
    ("Reply 1 if we fell short", UNCLEAR, None, "", "echo"),
    ("STOP to opt out", UNCLEAR, None, "", "echo"),
    (f"{QUESTION} STOP", UNCLEAR, None, "", "echo"),
    ("you met them", RATING, MET, "you met them", "words"),  # two words of ours are the customer's own
    # rating: lead-ins, greetings, "#1" as praise, a label asked back
    ("I'll go with three", RATING, EXCEEDED, "", "rating"),
    ("it was a three", RATING, EXCEEDED, "", "rating"),
    ("give you guys a 3", RATING, EXCEEDED, "", "rating"),
    ("I'm going to say two", RATING, MET, "", "rating"),
    ("solid 3", RATING, EXCEEDED, "", "rating"),
    ("it was a nightmare", RATING, BELOW, "", "words"),
    ("Hello,\n\n1 - the wait.\n\nThanks", RATING, BELOW, "the wait. Thanks", "rating"),
    ("Hola, 3", RATING, EXCEEDED, "", "rating"),  # the greetings lists of every language
    ("Hallo, 1 zu langsam", RATING, BELOW, "zu langsam", "rating"),
    ("number 1 service", UNCLEAR, None, "", "rating"),
    ("#1 please", RATING, BELOW, "please", "rating"),
    ("fell short?", UNCLEAR, None, "", "rating"),
    ("3 🙄", UNCLEAR, None, "", "rating"),
    ("5 stars... for the parking", UNCLEAR, None, "", "rating"),  # a thought held back
    ("10/10 would not recommend", UNCLEAR, None, "", "rating"),
    ("great #not", UNCLEAR, None, "", "words"),  # a hashtag that is a word, not a station
    ("A-1", UNCLEAR, None, "", "words"),  # a grade or a seat
    ("definitely not 1", UNCLEAR, None, "", "words"),  # "not 1" is no answer, and no "definitely not"
    ("a strong 3", RATING, EXCEEDED, "", "rating"),
    ("top notch rudeness", UNCLEAR, None, "", "words"),
    ("happy now?", UNCLEAR, None, "", "words"),
    ("oh it was GREAT", UNCLEAR, None, "", "words"),
    ("STOP?", UNCLEAR, None, "", "keyword"),  # asked, not said
    ("👍 Liked your message", UNCLEAR, None, "", "reaction"),
    (f"Liked “{QUESTION}” Disliked “{QUESTION}”", UNCLEAR, None, "", "reaction"),
    ("3e", UNCLEAR, None, "", "rating"),
    ("Three for sure", RATING, EXCEEDED, "for sure", "rating"),
    ("A three from me", RATING, EXCEEDED, "from me", "rating"),
    # words: a rating said in a longer text decides when the words agree in direction
    (
        "the lady was so patient with us, I'd say 3, thank you",
        RATING,
        EXCEEDED,
        "the lady was so patient with us, I'd say 3, thank you",
        "words",
    ),
    ("good coffee, I'd say 3", RATING, EXCEEDED, "good coffee, I'd say 3", "words"),
    ("the wait was awful, I'd say 3", UNCLEAR, None, "", "words"),
    ("Good coffee, I'd give it 3 stars", UNCLEAR, None, "", "words"),  # three of five stars
    ("amazing, 20 minutes for a sandwich", UNCLEAR, None, "", "words"),  # praise beside a long wait
    ("wow, so fast, only 50 minutes", UNCLEAR, None, "", "words"),
    ("in and out in 5 minutes, great", RATING, EXCEEDED, "in and out in 5 minutes, great", "words"),
    ("great as usual except the wait", UNCLEAR, None, "", "words"),
    ("good?", UNCLEAR, None, "", "words"),
    ("For sure three", RATING, EXCEEDED, "", "words"),
    ("stopped by for lunch, 3", RATING, EXCEEDED, "stopped by for lunch, 3", "words"),
    ("great, another 40 minutes", UNCLEAR, None, "", "words"),
    ("love that I had to ask three times", UNCLEAR, None, "", "words"),
    ("sh*t service", RATING, BELOW, "", "words"),
    ("nothing special", UNCLEAR, None, "", "words"),
    ("1 Regards, Mary", RATING, BELOW, "Regards, Mary", "rating"),
]


@pytest.mark.parametrize(
    ("text", "kind", "outcome", "comment", "rule"), CASES, ids=[c[0][:60] or "<empty>" for c in CASES]
)
def test_reply_table(text: str, kind: ReplyKind, outcome: Outcome | None, comment: str, rule: str) -> None:
    reply = parse_reply(text)
    assert (reply.kind, reply.outcome, reply.comment, reply.rule) == (kind, outcome, comment, rule)


def _real_world() -> list[tuple[str, str, str]]:
    """The table and its siblings (``replies_cases_r12.toml``: a red-team round kept in its own file)."""
    rows = []
    for path in sorted(Path(__file__).parent.glob("replies_cases*.toml")):
        table = tomllib.loads(path.read_text(encoding="utf-8"))
        rows += [
            (category, text, expected) for category, section in table.items() for text, expected in section["cases"]
        ]
    return rows


REAL_WORLD = _real_world()


def _verdict(reply: Reply) -> str:
    return str(reply.outcome) if reply.kind is RATING else str(reply.kind)


@pytest.mark.parametrize(("category", "text", "expected"), REAL_WORLD, ids=[f"{c}:{t[:50]}" for c, t, _ in REAL_WORLD])
def test_real_world_reply_is_read_acceptably(category: str, text: str, expected: str) -> None:
    """Every row gets its answer, or "unclear" where a trailing "?" allows a person to read it."""
    got = _verdict(parse_reply(text))
    allowed = {expected.rstrip("?")} | ({"unclear"} if expected.endswith("?") else set())
    assert got in allowed, f"{category}: {text!r} read as {got}, expected {expected}"


def test_real_world_table_is_large_and_covers_every_category() -> None:
    categories = {category for category, _, _ in REAL_WORLD}
    assert len(REAL_WORLD) >= 400
    assert {"keywords", "opt_out_phrases", "reactions_localized", "scales", "quantities", "spanish"} <= categories


def test_twilio_opt_out_type_wins_over_the_text() -> None:
    assert parse_reply("arrêter", opt_out_type="STOP") == Reply(OPT_OUT, rule="opt_out_type")
    assert parse_reply("3", opt_out_type="STOP").kind is OPT_OUT
    assert parse_reply("reprendre", opt_out_type="start").kind is OPT_IN
    assert parse_reply("aide", opt_out_type="HELP").kind is HELP
    assert parse_reply("3", opt_out_type="").outcome is EXCEEDED
    assert parse_reply("3", opt_out_type="SOMETHING-NEW").outcome is EXCEEDED


def test_yes_from_an_opted_out_number_opts_in() -> None:
    assert parse_reply("YES", opted_out=True).kind is OPT_IN
    assert parse_reply("YES", opted_out=False) == Reply(RATING, MET, rule="words")


def test_a_reaction_to_any_wording_our_question_has_had_is_an_answer() -> None:
    old = "Hi from {business}! Rate today with a number, reply with a number please"
    quoted = "Liked “Hi from Corner Cafe! Rate today with a number, reply with a…”"
    assert parse_reply(quoted, questions=[old]) == Reply(RATING, MET, rule="reaction", is_reaction=True)
    assert parse_reply(quoted).kind is UNCLEAR  # unknown text: a tapback on something else
    assert parse_reply("Vind ik leuk “Hi from Corner Cafe! Rate today…”", questions=[old]).kind is UNCLEAR


def test_a_removed_reaction_is_no_answer() -> None:
    reply = parse_reply(f"Removed a heart from “{QUESTION}”")
    assert (reply.kind, reply.is_reaction, reply.removed) == (UNCLEAR, True, True)


def test_station_code_is_taken_out_of_the_text() -> None:
    assert parse_reply("great #not").station_code == ""  # "#not", "#fail" are words
    reply = parse_reply("#Front-Desk 1 slow")
    assert (reply.station_code, reply.outcome, reply.comment) == ("front-desk", BELOW, "slow")
    assert parse_reply("Feedback #drive-thru").station_code == "drive-thru"
    assert parse_reply("3 #patio").station_code == "patio"


def test_rules_run_in_the_documented_order() -> None:
    names = ["opt_out_type", "reaction", "echo", "keyword", "opt_out_phrase", "rating", "words"]
    assert [name for name, _ in RULES] == names


def test_bare_rating_is_distinguished_from_a_comment() -> None:
    assert parse_reply("2").is_bare_rating
    assert parse_reply(f"Liked “{QUESTION}”").is_bare_rating
    assert not parse_reply("2 thanks, quick service").is_bare_rating
    assert not parse_reply("the cashier was rude").is_bare_rating


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_text_gives_a_valid_reply(text: str) -> None:
    reply = parse_reply(text)
    assert isinstance(reply.kind, ReplyKind)
    assert (reply.outcome is not None) == (reply.kind is ReplyKind.RATING)
    assert len(reply.comment) <= 1000


_QUOTE_FREE = st.text(alphabet=st.characters(blacklist_characters='“”"«»„‚‘’「」『』‹›', blacklist_categories=("Cs",)))
VERBS = {"Liked": MET, "Loved": EXCEEDED, "Disliked": BELOW, "Le gustó": MET, "Gefällt": MET, "Reacted 😡 to": BELOW}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(VERBS)), _QUOTE_FREE, _QUOTE_FREE)
def test_what_follows_our_question_in_a_quote_never_changes_the_verdict(verb: str, tail: str, other: str) -> None:
    """Digits, STOP, "unsubscribe" inside the quote: only the verb counts."""
    first = parse_reply(f"{verb} “Did we meet your expectations today? {tail}”")
    second = parse_reply(f"{verb} “Did we meet your expectations today? {other}”")
    assert first == second == Reply(RATING, VERBS[verb], rule="reaction", is_reaction=True)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(VERBS)), _QUOTE_FREE.filter(lambda text: text.strip()))
def test_a_quote_is_never_an_opt_out_nor_another_rating(verb: str, quoted: str) -> None:
    reply = parse_reply(f"{verb} “{quoted}”")
    assert reply.kind in (RATING, UNCLEAR)
    assert reply.outcome in (None, VERBS[verb])


# -- through the webhook: what a customer's phone sends, what the store keeps --------------------

ASKED = DEFAULT_TEXTS["question"].format(business="Corner Cafe")


def _opted_out(store: FeedbackStore) -> bool:
    with store.transaction() as tx, SmsRecords(tx) as records:
        return records.is_opted_out(CUSTOMER)


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (f"Le gustó “{ASKED}”", MET),
        (f"A aimé « {ASKED} »", MET),
        (f"Gefällt „{ASKED}“", MET),
        (f'Reacted with 🤩 to "{ASKED}"', EXCEEDED),
        (f"👎 to “{ASKED[:60]}…”", BELOW),
    ],
)
def test_a_tapback_in_any_language_is_the_answer_and_never_an_opt_out(
    texter: Texter, store: FeedbackStore, body: str, outcome: Outcome
) -> None:
    texter.text(body)
    assert [rating.outcome for rating in store.ratings()] == [outcome]
    assert not _opted_out(store)


@pytest.mark.parametrize("body", [f"Removed a like from “{ASKED}”", f"Vind ik leuk “{ASKED}”", f"Laughed at “{ASKED}”"])
def test_a_tapback_that_is_no_answer_records_nothing_and_never_opts_out(
    texter: Texter, store: FeedbackStore, body: str
) -> None:
    texter.text(body)
    assert list(store.ratings()) == []
    assert not _opted_out(store)


@pytest.mark.parametrize("body", ["REVOKE", "optout", "Stop.", "stop 🛑", "para de enviarme mensajes"])
def test_every_opt_out_keyword_and_phrase_opts_the_number_out(texter: Texter, store: FeedbackStore, body: str) -> None:
    assert texter.reply_of(body) == DEFAULT_TEXTS["opted_out"].format(business="Corner Cafe")
    assert _opted_out(store)


@pytest.mark.parametrize(("body", "outcome"), [("3 hours wait, terrible", BELOW), ("3 out of 10", None), ("⭐", None)])
def test_numbers_that_are_not_answers_are_not_recorded_as_answers(
    texter: Texter, store: FeedbackStore, body: str, outcome: Outcome | None
) -> None:
    texter.text(body)
    assert [rating.outcome for rating in store.ratings()] == ([outcome] if outcome else [])


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (f"{ASKED}\n3", EXCEEDED),
        ("Did we meet your expectations? yes", MET),
        ("Re: Did we meet your expectations? 1", BELOW),
    ],
)
def test_our_question_pasted_back_is_read_by_what_the_customer_added(
    texter: Texter, store: FeedbackStore, body: str, outcome: Outcome
) -> None:
    texter.text(body)
    assert [rating.outcome for rating in store.ratings()] == [outcome]


@pytest.mark.parametrize(
    "body", [f"{ASKED} STOP", "STOP to opt out", "Reply STOP to opt out", "Reply 1 if we fell short"]
)
def test_our_question_pasted_back_is_never_an_opt_out_nor_an_answer(
    texter: Texter, store: FeedbackStore, body: str
) -> None:
    texter.text(body)
    assert list(store.ratings()) == []
    assert not _opted_out(store)


@pytest.mark.parametrize(
    "text",
    ["3 " * 5000, "stop " * 2000, "great " * 2000, "\u202e" * 9000 + "STOP", "[bold]" * 2000, "1" * 10000],
    ids=["threes", "stops", "greats", "rtl-stop", "markup", "digits"],
)
def test_a_text_longer_than_any_phone_sends_is_left_to_a_person(text: str) -> None:
    """Twilio joins a long text into at most 1,600 characters: 10,000 came from no phone (and would be slow to read)."""
    assert parse_reply(text).kind is UNCLEAR
    assert parse_reply(text, opt_out_type="STOP").kind is OPT_OUT  # Twilio's own keyword match still wins


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("\u202ePOTS", UNCLEAR),  # shown as "STOP" by the override, but the customer sent no STOP
        ("STO P", UNCLEAR),
        ("s t o p", OPT_OUT),
        ("\u200b3\u200b", RATING),
        ("[bold]1[/bold]", UNCLEAR),  # markup around a digit: a person reads it
        ("<script>alert(1)</script>", UNCLEAR),
        ('=HYPERLINK("http://x","3")', UNCLEAR),
    ],
)
def test_hostile_characters_neither_hide_nor_invent_an_answer(text: str, verdict: ReplyKind) -> None:
    assert parse_reply(text).kind is verdict


PRAISE = ["Great", "Amazing", "Lovely", "Perfect", "Excellent service", "Good", "3", "2", "👍"]


@pytest.mark.parametrize("cue", sorted(lexicon().complaint_cues))
@pytest.mark.parametrize("praise", PRAISE)
def test_praise_beside_a_complaint_cue_is_never_a_rating_that_disagrees(praise: str, cue: str) -> None:
    """Signals that disagree ("Great, again no oat milk", "3 still waiting") go to a person, whatever the cue."""
    reply = parse_reply(f"{praise}, {cue} the coffee")
    assert reply.kind is not OPT_OUT
    assert reply.kind is UNCLEAR or reply.outcome is BELOW


@pytest.mark.parametrize(
    "text",
    [
        "Great, again no oat milk",
        "Great job. Not.",
        "great. I'll be sure never to come back",
        "Lovely, didn't get my receipt",
    ],
)
def test_a_negation_that_denies_no_outcome_word_makes_praise_unclear(text: str) -> None:
    assert parse_reply(text).kind is UNCLEAR


@pytest.mark.parametrize(
    ("text", "outcome"),
    [("Amazing, no queue!", EXCEEDED), ("lovely, never had to wait", EXCEEDED), ("Great, no issues", EXCEEDED)],
)
def test_a_complaint_denied_is_no_complaint_cue(text: str, outcome: Outcome) -> None:
    assert (parse_reply(text).kind, parse_reply(text).outcome) == (RATING, outcome)


def test_a_complaint_denied_alone_is_no_answer() -> None:
    assert parse_reply("No wait").kind is UNCLEAR  # "no, wait…"?


@pytest.mark.parametrize("keyword", sorted(lexicon().opt_out_keywords))
@pytest.mark.parametrize("tail", ["! Best cafe ever 3", "? No way, keep them coming", " by again, great"])
def test_a_text_opening_with_an_opt_out_keyword_never_gives_a_rating(keyword: str, tail: str) -> None:
    assert parse_reply(f"{keyword.capitalize()}{tail}").kind is not RATING


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Stop - Mike", OPT_OUT),
        ("STOP — Anna", OPT_OUT),
        ("stop-start service", UNCLEAR),
        ("Stop thanks Jenny", OPT_OUT),
        ("stop thanks 3", UNCLEAR),
    ],
)
def test_an_opt_out_keyword_set_apart_from_a_name_opts_out(text: str, kind: ReplyKind) -> None:
    assert parse_reply(text).kind is kind


@pytest.mark.parametrize(
    ("text", "kind", "outcome"),
    [
        ("1 even though the cake was nice", RATING, BELOW),  # a complaint stands despite a kind word
        ("3 though the wait was long", UNCLEAR, None),  # praise with a complaint is for a person
        ("Great, thanks. Although I did wait a while", UNCLEAR, None),
        ("Waited 25 min for a table even though I had a reservation", RATING, BELOW),
        ("3 x", RATING, EXCEEDED),  # a kiss to sign off
        ("3 x 2", UNCLEAR, None),
        ("100% yes", RATING, MET),  # an emphatic yes
        ("2 thumbs up", RATING, EXCEEDED),  # the number belongs to the phrase
        ("3 🤡", UNCLEAR, None),
    ],
)
def test_edges_where_an_answer_meets_other_signals(text: str, kind: ReplyKind, outcome: Outcome | None) -> None:
    reply = parse_reply(text)
    assert (reply.kind, reply.outcome) == (kind, outcome)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("How do I unsubscribe from the app notifications", UNCLEAR),
        ("Remove me from the email list", UNCLEAR),
        ("Don't send me a receipt next time", UNCLEAR),
        ("unsubscribe from newsletter please", UNCLEAR),
        ("Don't contact me about the survey", OPT_OUT),
        ("Please stop sending these surveys", OPT_OUT),
    ],
)
def test_opt_out_wording_about_another_channel_or_thing_is_for_a_person(text: str, kind: ReplyKind) -> None:
    """Only our texts are stopped by a phrase; the newsletter, the app or a receipt may be what is meant."""
    assert parse_reply(text).kind is kind
