"""Understanding a customer's text: an ordered table of small, named rules.

Pure: text in, a :class:`Reply` out, never an exception. The first rule that gives an answer
wins, in this documented order (README, "How replies are read"); the word lists are data, one
file a language (``sms/words/*.toml``):

1. ``opt_out_type``   Twilio's ``OptOutType`` (STOP, START, HELP) when Twilio sends it
2. ``reaction``       a text with a quote: the quote is never read. A tapback (``Liked “…”``,
                      ``Le gustó “…”``, ``👍 to “…”``) is read by its verb and is never an
                      opt-out; any other text by what stands beside the quote
3. ``echo``           our question pasted back without quotation marks ("Did we meet your
                      expectations? yes", "3 if we exceeded them"): only the rest is read, never
                      for an opt-out ("STOP to opt out" is no opt-out)
4. ``keyword``        STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; START, UNSTOP
                      (YES from an opted-out number); HELP, INFO: alone in the message
5. ``opt_out_phrase`` "stop texting me", "unsubscribe me", "no me escribas más", "baja"
6. ``rating``         a leading answer (1, 2, 3, keycaps, number words, x/3, 10/10, 5 stars,
                      exceeded/met/fell short, an emoji) and the comment after it; a number
                      with a unit ("3 hours", "$3", "3pm") is not an answer
7. ``words``          yes/no, idioms ("could have been better"), then outcome words anywhere,
                      with negation, typos and other languages; a mixed text, a wish or a
                      question is unclear

Anything else, or anything contradictory ("1 2 3", "7/10", "good but slow"), is ``unclear``:
a person reads it. A wrong rating or a wrong opt-out is worse than ``unclear``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sms.replies.echo import echo
from sms.replies.keywords import keyword, opt_out_phrase, opt_out_type
from sms.replies.leading import rating
from sms.replies.message import Message, Rule, prepare
from sms.replies.reactions import reaction
from sms.replies.reply import Reply, ReplyKind
from sms.replies.words import words

__all__ = ["RULES", "Message", "Reply", "ReplyKind", "parse_reply"]

# Twilio joins a long text into one of at most 1,600 characters: a longer one came from no phone.
# Only Twilio's own OptOutType is taken from it; a person reads the rest (and no rule reads 10,000 characters).
MAX_LENGTH = 1600

RULES: tuple[tuple[str, Rule], ...] = (
    ("opt_out_type", opt_out_type),
    ("reaction", reaction),
    ("echo", echo),
    ("keyword", keyword),
    ("opt_out_phrase", opt_out_phrase),
    ("rating", rating),
    ("words", words),
)


def parse_reply(text: str, *, opted_out: bool = False, questions: Iterable[str] = (), opt_out_type: str = "") -> Reply:
    """Read one text.

    ``opted_out`` lets a plain YES opt the number back in; ``questions`` are every wording our
    question has had (a reaction quoting one is an answer); ``opt_out_type`` is Twilio's
    ``OptOutType`` parameter, which wins over the text.
    """
    message = prepare(text, opted_out=opted_out, questions=questions, opt_out_type=opt_out_type)
    for name, rule in RULES:
        if len(message.text) > MAX_LENGTH and name != "opt_out_type":
            break
        reply = rule(message)
        if reply is not None:
            return Reply(
                reply.kind,
                reply.outcome,
                reply.comment[:1000],
                reply.rule or name,
                message.station_code,
                reply.is_reaction,
                reply.removed,
            )
    return Reply(ReplyKind.UNCLEAR, rule="none", station_code=message.station_code)
