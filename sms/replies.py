"""Understanding a customer's text: an ordered table of small, named rules.

Pure: text in, a :class:`Reply` out, never an exception. The first rule that gives
an answer wins, in this documented order (README, "How replies are read"):

1. ``keyword``        STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, START, UNSTOP, HELP, INFO
                      (and YES from an opted-out number), alone in the message
2. ``opt_out_phrase`` "stop texting me", "remove me from your list", "don't text me", ...
3. ``reaction``       iPhone / Android reactions that quote the question: ``Liked "Did we..."``;
                      the quote is never read, so its digits cannot count
4. ``rating``         a leading answer (1, 2, 3, keycap or full-width digits, one/two/three,
                      exceeded/met/below/fell short, an emoji) and the comment after it
5. ``words``          yes/no alone (or a leading yes), then outcome and sentiment words anywhere, with negation
                      ("not met", "did not meet", "not good") and close typos ("exceded")

Anything else, or anything contradictory ("1 2 3", "13", "5", "good but slow"), is ``unclear``.
"""

from __future__ import annotations

import difflib
import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from shared.ratings import Outcome

__all__ = ["RULES", "Message", "Reply", "ReplyKind", "parse_reply"]


class ReplyKind(enum.StrEnum):
    RATING = "rating"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Reply:
    """What a text means. ``outcome`` is set exactly when ``kind`` is ``rating``.

    ``rule`` names the rule that decided (for logs and tests); ``station_code`` is a
    ``#code`` found in the text (QR posters prefill one).
    """

    kind: ReplyKind
    outcome: Outcome | None = None
    comment: str = ""
    rule: str = ""
    station_code: str = ""

    @property
    def is_bare_rating(self) -> bool:
        """A rating given by a digit, number word or reaction with nothing else: never a comment."""
        return self.kind is ReplyKind.RATING and not self.comment and self.rule in ("rating", "reaction")


@dataclass(frozen=True, slots=True)
class Message:
    """A text prepared once for every rule: normalised, with its station code taken out."""

    raw: str
    text: str  # NFKC, keycaps and quotes simplified, station code removed, stripped
    lower: str
    opted_out: bool
    station_code: str


Rule = Callable[[Message], Reply | None]

# -- normalising -------------------------------------------------------------------

_STATION = re.compile(r"(?<![\w#])#([A-Za-z][A-Za-z0-9_-]{0,39})\b")
_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")
_INVISIBLE = re.compile("[\ufe0e\ufe0f\u200b-\u200d\u2060\ufeff\U0001f3fb-\U0001f3ff]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "`": "'"})


def prepare(text: str, *, opted_out: bool = False) -> Message:
    raw = text if isinstance(text, str) else ""
    simple = unicodedata.normalize("NFKC", raw)
    simple = _KEYCAP.sub(r"\1", simple)
    simple = _INVISIBLE.sub("", simple).translate(_QUOTES)
    found = _STATION.search(simple)
    station = found.group(1).lower() if found else ""
    simple = _STATION.sub(" ", simple)
    simple = re.sub(r"\s+", " ", simple).strip()
    return Message(raw=raw, text=simple, lower=simple.casefold(), opted_out=opted_out, station_code=station)


# -- 1. keywords -------------------------------------------------------------------

OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOP ALL", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})


def keyword(message: Message) -> Reply | None:
    word = re.sub(r"[^\w ]", "", message.text).strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return Reply(ReplyKind.OPT_OUT)
    if word in OPT_IN_KEYWORDS or (message.opted_out and word in {"YES", "Y"}):
        return Reply(ReplyKind.OPT_IN)
    if word in HELP_KEYWORDS:
        return Reply(ReplyKind.HELP)
    return None


# -- 2. opt-out phrasing -----------------------------------------------------------

_OPT_OUT_PHRASES = re.compile(
    r"""\b(
        stop\s+(?:\w+\s+){0,2}?(?:text|txt|messag|msg|sms|contact|send|spam|bother)\w*
      | (?:do\s*n[o']?t|never|pls\s+don'?t|please\s+don'?t)\s+(?:\w+\s+){0,1}(?:text|txt|message|msg|sms|contact)\w*
      | no\s+more\s+(?:text|txt|messag|msg|sms)\w*
      | unsubscribe | opt\s*(?:me\s+)?out | take\s+me\s+off | remove\s+(?:me|my\s+number)
      | leave\s+me\s+alone | wrong\s+number
      | ^\W*(?:please\s+|pls\s+)?stop(?:\s+(?:it|please|pls|now|already))*\W*$
    )""",
    re.VERBOSE,
)


def opt_out_phrase(message: Message) -> Reply | None:
    """Plain opt-out wording, but never inside a reaction's quote of our question ("Reply STOP to opt out")."""
    if _REACTION.match(message.text) or _REACTED.match(message.text):
        return None
    if _OPT_OUT_PHRASES.search(message.lower):
        return Reply(ReplyKind.OPT_OUT)
    return None


# -- 3. reactions ------------------------------------------------------------------

_REACTION = re.compile(
    r'^(liked|loved|disliked|laughed at|emphasi[sz]ed|questioned|removed an? \w+ from)\s+"', re.IGNORECASE
)
_REACTED = re.compile(r'^reacted\s+(\S+)\s+to\s+"', re.IGNORECASE)
_REACTION_OUTCOME = {"liked": Outcome.MET, "loved": Outcome.EXCEEDED, "disliked": Outcome.BELOW}


def reaction(message: Message) -> Reply | None:
    """A tapback quotes the question, digits and all: read the verb (or emoji), never the quote."""
    found = _REACTION.match(message.text)
    if found:
        outcome = _REACTION_OUTCOME.get(found.group(1).lower())
        if outcome is None:
            return Reply(ReplyKind.UNCLEAR, rule="reaction")
        return Reply(ReplyKind.RATING, outcome, rule="reaction")
    found = _REACTED.match(message.text)
    if found:
        outcomes = {EMOJI[char] for char in found.group(1) if char in EMOJI}
        if len(outcomes) == 1:
            return Reply(ReplyKind.RATING, outcomes.pop(), rule="reaction")
        return Reply(ReplyKind.UNCLEAR, rule="reaction")
    return None


# -- 4. a leading rating and its comment --------------------------------------------

EMOJI: dict[str, Outcome] = {
    **dict.fromkeys("👍👌🙂😊☺✅👏", Outcome.MET),
    **dict.fromkeys("👎😡😠🤬😞😟☹🙁😢😭💩😒😤😩😫🤮🤢❌", Outcome.BELOW),
    **dict.fromkeys("🤩😍🥰❤♥💖💕💯🔥🙌⭐🌟🏆🥳😁😃😄🎉💪", Outcome.EXCEEDED),
}
NUMBERS = {"1": Outcome.BELOW, "2": Outcome.MET, "3": Outcome.EXCEEDED}
NUMBER_WORDS = {"one": Outcome.BELOW, "two": Outcome.MET, "three": Outcome.EXCEEDED}
LABELS: dict[str, Outcome] = {
    "exceeded": Outcome.EXCEEDED,
    "exceed": Outcome.EXCEEDED,
    "exceeds": Outcome.EXCEEDED,
    "exceeded expectations": Outcome.EXCEEDED,
    "above and beyond": Outcome.EXCEEDED,
    "met": Outcome.MET,
    "met expectations": Outcome.MET,
    "below": Outcome.BELOW,
    "below expectations": Outcome.BELOW,
    "fell short": Outcome.BELOW,
    "fall short": Outcome.BELOW,
    "falls short": Outcome.BELOW,
}
_PREFIX = (
    r"(?:(?:my\s+)?(?:rating|answer|score|vote|reply)(?:\s+is)?"
    r"|i(?:'d|\s+would)?\s+say|i\s+(?:choose|pick)|option)"
)
_LEADING = re.compile(
    rf"^\W*?(?:{_PREFIX}\W*)?(?P<lead>\d+(?!\w)(?:[.,]\d+)?|one|two|three|"
    + "|".join(sorted((re.escape(label) for label in LABELS), key=len, reverse=True))
    + r"|[a-z]+)(?!\w)(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_SEPARATORS = " \t\n-–—:;.,!?)]}*~=>/|\\'\""


def _lead_outcome(lead: str) -> Outcome | None:
    word = lead.casefold()
    return NUMBERS.get(word) or NUMBER_WORDS.get(word) or LABELS.get(word) or LABELS.get(_fuzzy(word, LABELS) or "")


def rating(message: Message) -> Reply | None:
    """``3``, ``3!``, ``(1) the wait was too long``, ``exceeded - great staff``, ``👍 thanks``."""
    if message.text and message.text[0] in EMOJI:
        outcome, rest = EMOJI[message.text[0]], message.text[1:]
    else:
        found = _LEADING.match(message.text)
        if not found:
            return None
        lead = found.group("lead")
        if lead[0].isdigit():
            if lead not in NUMBERS:
                return Reply(ReplyKind.UNCLEAR, rule="rating")  # "5", "13", "3.5", "0"
        elif lead.casefold() not in NUMBER_WORDS and _lead_outcome(lead) is None:
            return None
        outcome = _lead_outcome(lead)
        if outcome is None:
            return None
        rest = found.group("rest")
        if lead.casefold() in NUMBER_WORDS and rest.strip() and not re.match(r"\s*[-–—:;.,!)]", rest):
            return None  # "one of your staff was rude" is not an answer "1"
    comment = rest.strip(_SEPARATORS + " ").strip()
    # The comment may start by repeating the answer ("3 exceeded", "1 - fell short").
    while (echoed := _echo(comment)) is not None:
        echo_outcome, after = echoed
        if echo_outcome is not outcome:
            return Reply(ReplyKind.UNCLEAR, rule="rating")  # "1 2 3", "1 or 3", "1 exceeded"
        comment = after
    return Reply(ReplyKind.RATING, outcome, comment=comment, rule="rating")


def _echo(comment: str) -> tuple[Outcome | None, str] | None:
    """If ``comment`` starts with another answer, its outcome (None: an unknown number) and the rest."""
    if not comment:
        return None
    if comment[0] in EMOJI:
        return EMOJI[comment[0]], comment[1:].strip(_SEPARATORS).strip()
    found = re.match(r"^(?:(?:or|and|to|then|&)\s+)?(\d+|one|two|three)(?!\w)(.*)$", comment, re.IGNORECASE | re.DOTALL)
    if found and (found.group(1)[0].isdigit() or found.group(1).casefold() in NUMBER_WORDS):
        word = found.group(1).casefold()
        return NUMBERS.get(word) or NUMBER_WORDS.get(word), found.group(2).strip(_SEPARATORS).strip()
    for label in sorted(LABELS, key=len, reverse=True):
        if re.match(rf"^{re.escape(label)}(?!\w)", comment, re.IGNORECASE):
            return LABELS[label], comment[len(label) :].strip(_SEPARATORS).strip()
    return None


# -- 5. words anywhere ---------------------------------------------------------------

YES_NO = {
    **dict.fromkeys(("yes", "y", "yeah", "yep", "yup", "ya", "yea", "sure", "yes!"), Outcome.MET),
    **dict.fromkeys(("no", "n", "nope", "nah", "not really", "no way"), Outcome.BELOW),
}
# word -> (outcome, outcome when negated)
WORDS: dict[str, tuple[Outcome, Outcome]] = {
    **dict.fromkeys(("exceeded", "exceed", "exceeds", "exceeding", "above", "beyond"), (Outcome.EXCEEDED, Outcome.MET)),
    **dict.fromkeys(
        (
            "amazing",
            "awesome",
            "excellent",
            "fantastic",
            "great",
            "outstanding",
            "perfect",
            "wonderful",
            "incredible",
            "brilliant",
            "superb",
            "exceptional",
            "phenomenal",
            "stellar",
            "love",
            "loved",
            "best",
            "impressed",
            "delighted",
            "thrilled",
            "wow",
            "spectacular",
            "terrific",
            "marvelous",
            "marvellous",
            "fabulous",
            "rock",
            "rocks",
            "rocked",
        ),
        (Outcome.EXCEEDED, Outcome.BELOW),
    ),
    **dict.fromkeys(
        (
            "met",
            "meet",
            "meets",
            "ok",
            "okay",
            "okey",
            "fine",
            "good",
            "alright",
            "decent",
            "satisfied",
            "adequate",
            "average",
            "expected",
            "fair",
            "nice",
            "happy",
            "pleased",
            "solid",
            "satisfactory",
        ),
        (Outcome.MET, Outcome.BELOW),
    ),
    **dict.fromkeys(
        (
            "below",
            "short",
            "bad",
            "terrible",
            "awful",
            "horrible",
            "poor",
            "worst",
            "rude",
            "disappointed",
            "disappointing",
            "disappointment",
            "unhappy",
            "dissatisfied",
            "unacceptable",
            "slow",
            "sucked",
            "sucks",
            "worse",
            "angry",
            "pathetic",
            "lousy",
            "mediocre",
            "underwhelming",
            "dreadful",
            "useless",
            "appalling",
            "atrocious",
            "annoyed",
            "frustrated",
            "frustrating",
            "meh",
        ),
        (Outcome.BELOW, Outcome.MET),
    ),
}
NEGATORS = frozenset(
    {"not", "no", "never", "didn't", "didnt", "don't", "dont", "wasn't", "wasnt", "isn't", "isnt", "hardly", "nothing"}
    | {"weren't", "werent", "aren't", "arent", "doesn't", "doesnt", "couldn't", "couldnt", "barely", "wouldn't"}
)
_FILLER_WORDS = (
    "it was is very so really quite pretty the service experience visit all totally just absolutely "
    "thanks thank you thx ty expectations my our your a an and at did to"
)
FILLERS = frozenset(_FILLER_WORDS.split())
_TOKEN = re.compile(r"[a-z][a-z']*|[^\w\s]", re.IGNORECASE)


def words(message: Message) -> Reply | None:
    """Yes/no alone, else every outcome and sentiment word, negation applied; one outcome or none."""
    bare = message.lower.strip(_SEPARATORS + " ")
    if bare in YES_NO:
        return Reply(ReplyKind.RATING, YES_NO[bare], rule="words")
    tokens = [token for token in _TOKEN.findall(message.lower) if token not in "'.,!?;:-"]
    outcomes: set[Outcome] = set()
    only_signals = True
    for index, token in enumerate(tokens):
        if index == 0 and YES_NO.get(token) is Outcome.MET:
            outcomes.add(Outcome.MET)  # "Yes thank you", "yep, all good"
            continue
        if token in EMOJI:
            outcomes.add(EMOJI[token])
            continue
        known = token if token in WORDS else _fuzzy(token, WORDS)
        if known is None:
            if token not in NEGATORS and token not in FILLERS and not (len(token) == 1 and not token.isalpha()):
                only_signals = False
            continue
        positive, negated = WORDS[known]
        window = tokens[max(0, index - 3) : index]
        outcomes.add(negated if any(word in NEGATORS for word in window) else positive)
    if len(outcomes) != 1:
        return Reply(ReplyKind.UNCLEAR, rule="words") if len(outcomes) > 1 else None
    return Reply(ReplyKind.RATING, outcomes.pop(), comment="" if only_signals else message.text, rule="words")


def _fuzzy(word: str, vocabulary: dict[str, object]) -> str | None:
    """A close typo (``exceded``, ``amazng``) of a word of at least five letters."""
    if len(word) < 5 or not word.isalpha():
        return None
    candidates = [known for known in vocabulary if len(known) >= 5 and " " not in known]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.8)
    return close[0] if close else None


RULES: tuple[tuple[str, Rule], ...] = (
    ("keyword", keyword),
    ("opt_out_phrase", opt_out_phrase),
    ("reaction", reaction),
    ("rating", rating),
    ("words", words),
)


# Twilio's OptOutType: its own opt-out handling (with any keywords set in its console) matched the text.
OPT_OUT_TYPES = {"STOP": ReplyKind.OPT_OUT, "START": ReplyKind.OPT_IN, "HELP": ReplyKind.HELP}


def parse_reply(text: str, *, opted_out: bool = False, opt_out_type: str = "") -> Reply:
    """Read one text. ``opted_out`` lets a plain YES opt the number back in; Twilio's ``opt_out_type`` decides first."""
    message = prepare(text, opted_out=opted_out)
    kind = OPT_OUT_TYPES.get(opt_out_type.strip().upper())
    if kind is not None:
        return Reply(kind, rule="opt_out_type", station_code=message.station_code)
    for name, rule in RULES:
        reply = rule(message)
        if reply is not None:
            return Reply(reply.kind, reply.outcome, reply.comment[:1000], reply.rule or name, message.station_code)
    return Reply(ReplyKind.UNCLEAR, rule="none", station_code=message.station_code)
