"""The reply parser: one table of real-world texts, and a property that it never fails."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.ratings import Outcome
from sms.replies import RULES, Reply, ReplyKind, parse_reply

BELOW, MET, EXCEEDED = Outcome.BELOW, Outcome.MET, Outcome.EXCEEDED
RATING, OPT_OUT, OPT_IN, HELP, UNCLEAR = (
    ReplyKind.RATING,
    ReplyKind.OPT_OUT,
    ReplyKind.OPT_IN,
    ReplyKind.HELP,
    ReplyKind.UNCLEAR,
)

# text, kind, outcome, comment, rule
CASES = [
    # 1. keywords, alone in the message, any case and punctuation
    ("STOP", OPT_OUT, None, "", "keyword"),
    ("stop", OPT_OUT, None, "", "keyword"),
    ("Stop.", OPT_OUT, None, "", "keyword"),
    ("STOPALL", OPT_OUT, None, "", "keyword"),
    ("Unsubscribe", OPT_OUT, None, "", "keyword"),
    ("cancel", OPT_OUT, None, "", "keyword"),
    ("END", OPT_OUT, None, "", "keyword"),
    ("quit", OPT_OUT, None, "", "keyword"),
    ("START", OPT_IN, None, "", "keyword"),
    ("unstop", OPT_IN, None, "", "keyword"),
    ("HELP", HELP, None, "", "keyword"),
    ("info?", HELP, None, "", "keyword"),
    # 2. opt-out phrasing
    ("stop texting me", OPT_OUT, None, "", "opt_out_phrase"),
    ("Please stop sending me messages", OPT_OUT, None, "", "opt_out_phrase"),
    ("don't text me again", OPT_OUT, None, "", "opt_out_phrase"),
    ("Do not contact me", OPT_OUT, None, "", "opt_out_phrase"),
    ("remove me from your list", OPT_OUT, None, "", "opt_out_phrase"),
    ("no more texts please", OPT_OUT, None, "", "opt_out_phrase"),
    ("wrong number", OPT_OUT, None, "", "opt_out_phrase"),
    ("please stop", OPT_OUT, None, "", "opt_out_phrase"),
    ("Stop it!!", OPT_OUT, None, "", "opt_out_phrase"),
    ("1 stop texting me", OPT_OUT, None, "", "opt_out_phrase"),
    # 3. reactions: the quote's digits never count
    ('Liked "Did we meet your expectations? Reply 1 fell short, 2 met, 3 exceeded"', RATING, MET, "", "reaction"),
    ("Loved “Did we meet your expectations? 1, 2 or 3”", RATING, EXCEEDED, "", "reaction"),
    ('Disliked "Did we meet your expectations? Reply 3 if exceeded"', RATING, BELOW, "", "reaction"),
    ('Laughed at "Did we meet your expectations? 1 2 3"', UNCLEAR, None, "", "reaction"),
    ('Questioned "Did we meet…"', UNCLEAR, None, "", "reaction"),
    ('Reacted 😡 to "Did we meet your expectations? 2"', RATING, BELOW, "", "reaction"),
    ("Reacted 👍 to “Did we meet…”", RATING, MET, "", "reaction"),
    ('Liked "Corner Cafe: Did we meet your expectations? Reply STOP to opt out."', RATING, MET, "", "reaction"),
    # 4. a leading rating, the comment after it
    ("1", RATING, BELOW, "", "rating"),
    ("2", RATING, MET, "", "rating"),
    ("3", RATING, EXCEEDED, "", "rating"),
    ("3!", RATING, EXCEEDED, "", "rating"),
    (" 2 ", RATING, MET, "", "rating"),
    ("(1)", RATING, BELOW, "", "rating"),
    ("2.", RATING, MET, "", "rating"),
    ("#3", RATING, EXCEEDED, "", "rating"),
    ("３", RATING, EXCEEDED, "", "rating"),
    ("１ 待ち時間が長い", RATING, BELOW, "待ち時間が長い", "rating"),
    ("3️⃣", RATING, EXCEEDED, "", "rating"),
    ("1⃣", RATING, BELOW, "", "rating"),
    ("1 the wait was too long", RATING, BELOW, "the wait was too long", "rating"),
    ("1 - the wait was too long", RATING, BELOW, "the wait was too long", "rating"),
    ("1: rude cashier, waited 20 minutes", RATING, BELOW, "rude cashier, waited 20 minutes", "rating"),
    ("3 Maria was wonderful", RATING, EXCEEDED, "Maria was wonderful", "rating"),
    ("3 exceeded", RATING, EXCEEDED, "", "rating"),
    ("1 - fell short", RATING, BELOW, "", "rating"),
    ("My rating is 2", RATING, MET, "", "rating"),
    ("I'd say 3", RATING, EXCEEDED, "", "rating"),
    ("three", RATING, EXCEEDED, "", "rating"),
    ("Two!", RATING, MET, "", "rating"),
    ("one - nobody helped me", RATING, BELOW, "nobody helped me", "rating"),
    ("exceeded", RATING, EXCEEDED, "", "rating"),
    ("Exceeded!!! 🤩", RATING, EXCEEDED, "", "rating"),
    ("exceded", RATING, EXCEEDED, "", "rating"),
    ("Met", RATING, MET, "", "rating"),
    ("below", RATING, BELOW, "", "rating"),
    ("bellow", RATING, BELOW, "", "rating"),
    ("fell short", RATING, BELOW, "", "rating"),
    ("Fell short - no one at the desk", RATING, BELOW, "no one at the desk", "rating"),
    ("👍", RATING, MET, "", "rating"),
    ("👍🏽", RATING, MET, "", "rating"),
    ("👎", RATING, BELOW, "", "rating"),
    ("😡😡😡", RATING, BELOW, "", "rating"),
    ("🤩", RATING, EXCEEDED, "", "rating"),
    ("😍 love this place", RATING, EXCEEDED, "love this place", "rating"),
    ("❤️", RATING, EXCEEDED, "", "rating"),
    ("#front-desk 3", RATING, EXCEEDED, "", "rating"),
    # unclear or contradictory numbers: nothing recorded
    ("1 2 3", UNCLEAR, None, "", "rating"),
    ("1, 2", UNCLEAR, None, "", "rating"),
    ("1 or 3", UNCLEAR, None, "", "rating"),
    ("13", UNCLEAR, None, "", "rating"),
    ("5", UNCLEAR, None, "", "rating"),
    ("0", UNCLEAR, None, "", "rating"),
    ("3.5", UNCLEAR, None, "", "rating"),
    ("1 exceeded", UNCLEAR, None, "", "rating"),
    ("👍👎", UNCLEAR, None, "", "rating"),
    # 5. words anywhere, with negation and typos
    ("yes", RATING, MET, "", "words"),
    ("Yep!", RATING, MET, "", "words"),
    ("no", RATING, BELOW, "", "words"),
    ("Nope.", RATING, BELOW, "", "words"),
    ("not met", RATING, BELOW, "", "words"),
    ("You did not meet my expectations", RATING, BELOW, "", "words"),
    ("didn't meet expectations", RATING, BELOW, "", "words"),
    ("not good", RATING, BELOW, "", "words"),
    ("not bad at all", RATING, MET, "", "words"),
    ("terrible", RATING, BELOW, "", "words"),
    ("Terrible service, waited 40 min", RATING, BELOW, "Terrible service, waited 40 min", "words"),
    ("amazing!", RATING, EXCEEDED, "", "words"),
    ("amazng", RATING, EXCEEDED, "", "words"),
    ("it was ok", RATING, MET, "", "words"),
    ("The staff were fantastic", RATING, EXCEEDED, "The staff were fantastic", "words"),
    ("no complaints, it was great", RATING, EXCEEDED, "no complaints, it was great", "words"),
    ("very good thanks", RATING, MET, "", "words"),
    ("Yes thank you", RATING, MET, "", "words"),
    ("no thanks", UNCLEAR, None, "", "none"),
    ("You guys rock", RATING, EXCEEDED, "You guys rock", "words"),
    ("above and beyond", RATING, EXCEEDED, "", "rating"),
    ("good but slow", UNCLEAR, None, "", "words"),
    ("lol", UNCLEAR, None, "", "none"),
    ("", UNCLEAR, None, "", "none"),
    ("   ", UNCLEAR, None, "", "none"),
    ("what is this?", UNCLEAR, None, "", "none"),
    ("1st time here", UNCLEAR, None, "", "none"),
    ("one of your staff was rude", RATING, BELOW, "one of your staff was rude", "words"),
]


@pytest.mark.parametrize(("text", "kind", "outcome", "comment", "rule"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_reply_table(text: str, kind: ReplyKind, outcome: Outcome | None, comment: str, rule: str) -> None:
    reply = parse_reply(text)
    assert (reply.kind, reply.outcome, reply.comment, reply.rule) == (kind, outcome, comment, rule)


def test_table_has_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


def test_yes_from_an_opted_out_number_opts_in() -> None:
    assert parse_reply("YES", opted_out=True).kind is OPT_IN
    assert parse_reply("YES", opted_out=False) == Reply(RATING, MET, rule="words")


def test_station_code_is_taken_out_of_the_text() -> None:
    reply = parse_reply("#Front-Desk 1 slow")
    assert (reply.station_code, reply.outcome, reply.comment) == ("front-desk", BELOW, "slow")
    assert parse_reply("Feedback #drive-thru").station_code == "drive-thru"


def test_rules_run_in_the_documented_order() -> None:
    assert [name for name, _ in RULES] == ["keyword", "opt_out_phrase", "reaction", "rating", "words"]


def test_bare_rating_is_distinguished_from_a_comment() -> None:
    assert parse_reply("2").is_bare_rating
    assert not parse_reply("2 thanks, quick service").is_bare_rating
    assert not parse_reply("the cashier was rude").is_bare_rating


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_text_gives_a_valid_reply(text: str) -> None:
    reply = parse_reply(text)
    assert isinstance(reply.kind, ReplyKind)
    assert (reply.outcome is not None) == (reply.kind is ReplyKind.RATING)
    assert len(reply.comment) <= 1000


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["1", "2", "3", "１", "3️⃣", "two"]), st.text(max_size=40))
def test_a_quoted_reaction_never_reads_the_quote(answer: str, tail: str) -> None:
    reply = parse_reply(f'Liked "Did we meet? {answer} {tail}"')
    assert (reply.kind, reply.outcome) == (RATING, MET)
