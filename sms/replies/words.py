"""Outcome words anywhere in a text: yes/no, idioms, negation, typos, several languages."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from shared.ratings import Outcome
from sms.replies.message import EMOJI, NEUTRAL_EMOJI, NUMBERS, STARS, Message, is_emoji
from sms.replies.reply import Reply, ReplyKind
from sms.words import fold, lexicon

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
_MILD = frozenset({"ok", "okay", "alright"})
# How much a signal says: a bare yes only answers; a mild one ("ok", "no complaints", 🙂) yields to "great".
BARE, MILD, STRONG = 0, 1, 2


@functools.cache
def _phrases() -> tuple[tuple[str, re.Pattern[str], Outcome], ...]:
    """Each phrase, the longest first, with its pattern (the phrase as whole words) and its outcome."""
    ordered = sorted(lexicon().phrases.items(), key=lambda item: len(item[0]), reverse=True)
    return tuple((phrase, re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)"), outcome) for phrase, outcome in ordered)


@functools.lru_cache(maxsize=16)
def any_of(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for a list of whole words or phrases, the longest first: read once, not once a phrase."""
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(phrase) for phrase in ordered) + r")(?!\w)")


@functools.cache
def _any_phrase() -> re.Pattern[str]:
    return any_of(tuple(lexicon().phrases))


@functools.cache
def _unclear_phrases() -> re.Pattern[str]:
    words = sorted(lexicon().unclear, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)")


def complaint_cue(text: str) -> bool:
    """Whether a folded text has a sign that something went wrong without an outcome word ("still waiting")."""
    cues = lexicon().complaint_cues
    return bool(cues) and bool(any_of(cues).search(text))


def unclear_phrase(text: str) -> bool:
    """Whether a folded text says "so so", "jk", "/s" or another listed word that leaves it to a person."""
    return bool(_unclear_phrases().search(text))


@functools.lru_cache(maxsize=8192)
def known_word(token: str) -> str | None:
    """The listed word a token stands for: itself, an alias, without elongation ("sooo"), or a close typo."""
    known = lexicon()
    vocabulary = (known.words, known.yes, known.no, known.positive, known.fillers, known.topics, known.negators)
    for candidate in (
        token,
        known.aliases.get(token, ""),
        re.sub(r"(\w)\1{2,}", r"\1\1", token),
        re.sub(r"(\w)\1{2,}", r"\1", token),
        re.sub(r"(\w)\1+", r"\1", token),
    ):
        candidate = known.aliases.get(candidate, candidate)
        if candidate and any(candidate in group for group in vocabulary):
            return candidate
    return close_typo(token, known.words)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the words of a text say: each outcome met with its strength (BARE, MILD, STRONG), and the rest."""

    signals: tuple[tuple[Outcome, int], ...] = ()
    positive: bool = False  # mild praise ("friendly"): agrees with met or exceeded, never decides
    only_signals: bool = True  # nothing else was said: no comment to keep
    unclear: bool = False  # "so so", "kind of", "no thanks": a person must read it

    def outcome(self) -> Outcome | None:
        """One outcome, or None (nothing said, or said both ways)."""
        outcomes = {outcome for outcome, _ in self.signals}
        if outcomes == {Outcome.MET, Outcome.EXCEEDED} and all(
            strength < STRONG for outcome, strength in self.signals if outcome is Outcome.MET
        ):
            return Outcome.EXCEEDED  # "Yes!! Amazing", "no complaints, it was great"
        if self.unclear or len(outcomes) != 1 or (self.positive and outcomes == {Outcome.BELOW}):
            return None
        return next(iter(outcomes))


_QUESTION = re.compile(
    r"(?:^|[.!?]\s*)(?:is|are|am|was|were|can|could|do|does|did|will|would|should|may|what|whats|when|where|why|how|who"
    r"|whos|which)\b[^.!?]*\?"
)


# A rating said in so many words, anywhere in a longer text: "..., I'd say 3, thank you".
_STATED = re.compile(
    r"(?<!\w)(?:(?:i ?d|i would|i ?ll|i will|id) (?:say|give (?:it|you|u|ya|you guys|yall)"
    r"|rate (?:it|you|u|you guys|us))|my (?:rating|score|answer) (?:is|would be|=)|(?:rating|score)(?: is)?\s*[:=-])"
    r"\s*(?:an? )?([123])(?![\w:/%$]|[.,]\d)"
)


# A time that says the customer waited: "20 minutes for a sandwich", "an hour", "2 hrs"; "only 5 mins" is quick.
_DURATION = re.compile(
    r"(?<![\w.:])(?:(only|just|under|in|within|than) )?(\d+|an|a|one|two|three|half an)"
    r" ?(min|mins|minute|minutes|m|h|hr|hrs|hour|hours|day|days|week|weeks)\b"
)


_FOLLOWING = re.compile(r"\s*(/|[^\W\d_]+)")
_CODE = re.compile(r"\W*[a-z]{1,2}-\d+\W*")


def _counted(after: str) -> bool:
    """What follows a stated number makes it no answer: "I'd give it 3 stars", "3 out of 5", "3 hours"."""
    following = _FOLLOWING.match(after)
    return bool(following) and (
        following.group(1) in ("/", "star", "stars", "out", "outta") or following.group(1) in lexicon().units
    )


def _is_long(found: re.Match[str]) -> bool:
    """Twenty minutes or more, or ten when not said to be quick ("in 15 minutes"); an hour ("only an hour" too)."""
    quick, amount, unit = found.groups()
    if unit.startswith("m"):
        return amount.isdecimal() and (int(amount) >= 20 or (int(amount) >= 10 and not quick))
    return not (amount == "a" and unit.startswith(("d", "w")))  # "a day" and "a week" are often no wait


def read_words(text: str) -> Reading:
    """Yes/no, idioms, then every outcome word with negation applied, emoji and emoticons too."""
    known = lexicon()
    text = fold(text)
    if _QUESTION.search(text):
        return Reading(unclear=True, only_signals=False)  # "Is it ok to bring my dog?": a person answers it
    asked = [known_word(token) for token in _TOKEN.findall(text) if token[0].isalnum()]
    hesitant = text.rstrip().endswith(("?", "...", "…"))
    if hesitant and asked and all(word in known.yes or word in known.no or word in _MILD for word in asked):
        return Reading(unclear=True, only_signals=False)  # "yes?", "No??", "ok...": asking back or holding back
    if text.rstrip().endswith("?") and 0 < len(asked) <= 2 and any(word in known.words for word in asked):
        return Reading(unclear=True, only_signals=False)  # "good?", "happy now?": asked back
    if _CODE.fullmatch(text):
        return Reading(unclear=True, only_signals=False)  # "A-1", "B-2": a grade or a seat, not the answer
    for pattern, replacement in known.rewrites:
        text = pattern.sub(replacement, text)
    text = any_of(known.neutral).sub(" , ", text)
    long_wait = any(_is_long(found) for found in _DURATION.finditer(text))  # praise beside it is doubtful
    stated_numbers = {int(found.group(1)) for found in _STATED.finditer(text) if not _counted(text[found.end() :])}
    stated = NUMBERS[stated_numbers.pop()] if len(stated_numbers) == 1 else None
    if stated is not None:
        text = _STATED.sub(" , ", text)  # the answer is taken; the words around it must agree in direction
    signals: list[tuple[Outcome, int]] = []  # (outcome, strength)
    for phrase, pattern, outcome in _phrases() if _any_phrase().search(text) else ():
        if phrase in text and pattern.search(text):  # the plain test first: most phrases are not there at all
            signals.append((outcome, MILD if outcome is Outcome.MET else STRONG))
            text = pattern.sub(" , ", text)
    text, found = any_of(known.intensifiers).subn(" ", text)
    raised = bool(found)  # "never had such good service": what follows is said strongly
    cued = complaint_cue(text)  # "again no oat milk", "still waiting"
    if _unclear_phrases().search(text):
        return Reading(unclear=True, only_signals=False)
    tokens = _TOKEN.findall(text)
    positive = False
    only_signals = True
    trailing: Outcome | None = None
    set_apart = False
    excepted = False  # "great as usual except the wait": praise with an exception is for a person
    turns: list[int] = []  # where "but" and the like fell among the signals
    content = False  # a word we do not know, or a topic
    denying: set[int] = set()  # where a negation stood ("no oat milk", "nobody came")
    spent: set[int] = set()  # the negations that denied an outcome word ("not good") or answered ("no")
    clause_start = 0
    meaningful = 0
    for index, token in enumerate(tokens):
        if not token[0].isalnum():
            if token in EMOJI:
                signals.append((EMOJI[token], MILD if EMOJI[token] is Outcome.MET else STRONG))  # "great 🙂" is great
            elif token in NEUTRAL_EMOJI or token in STARS:
                return Reading(unclear=True, only_signals=False)
            if token in ",.;:!?-–—()" or is_emoji(token):
                clause_start = index + 1
            continue
        if token.isdecimal():
            only_signals = False
            last = all(not other[0].isalnum() for other in tokens[index + 1 :])
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if not last and int(token) in NUMBERS and following not in known.units and following not in ":./-":
                return Reading(unclear=True, only_signals=False)  # "Solid 3 from me": an answer inside a sentence
            before = known_word(tokens[index - 1]) if index else None
            if last and before in known.before_amounts:
                continue  # "at 3", "by 2": a time
            if last and meaningful and int(token) not in NUMBERS and following not in known.units:
                return Reading(unclear=True, only_signals=False)  # "solid 8", "good, 7": another scale
            counted = sum(  # "in and out in 5 minutes… 2": an amount is no other answer
                other.isdecimal() and (tokens[spot + 1] if spot + 1 < len(tokens) else "") not in known.units
                for spot, other in enumerate(tokens)
            )
            if last and counted == 1 and int(token) in NUMBERS and meaningful:
                trailing = NUMBERS[int(token)]  # "Great service from Ana. 3": it confirms or contradicts the words
                set_apart = meaningful > 1 and tokens[index - 1] in ",.:-–—"  # "Ana was at the counter, 3"
                if any(known_word(other) in known.negators for other in tokens[max(clause_start, index - 3) : index]):
                    return Reading(unclear=True, only_signals=False)  # "not 3"
            continue
        if token == "too" and index + 1 < len(tokens) and tokens[index + 1][0].isalpha():
            window = tokens[max(clause_start, index - 2) : index]
            if known_word(tokens[index + 1]) not in known.words and not known.negators & set(window):
                signals.append((Outcome.BELOW, STRONG))  # "too loud", "too expensive"; "too good" is read as good
            continue
        if token in known.conditions and signals:
            return Reading(unclear=True, only_signals=False)  # "great service if you're invisible"
        turning = token in known.contrasts or token in known.concessions
        if turning and not (index and tokens[index - 1] in known.determiners):  # "the till", "a while": nouns
            excepted = excepted or token == "except"
            clause_start = index + 1
            only_signals = False
            praised = any(outcome is not Outcome.BELOW for outcome, _ in signals)  # a complaint stands despite
            if token in known.contrasts or (token in known.concessions and praised):
                turns.append(len(signals))  # "good but slow", "great, although I waited": each side must say something
            continue
        if token in known.numbers and not content and all(not other[0].isalnum() for other in tokens[index + 1 :]):
            trailing = NUMBERS.get(known.numbers[token])  # "for sure three", "definitely two"
            continue
        word = known_word(token)
        first = meaningful == 0
        meaningful += 1
        if word in known.negators and word not in known.quiet_negators:
            denying.add(index)  # "no oat milk", "didn't get served", "Great job. Not."; "nothing to add" says nothing
        if word is None:
            only_signals, content = False, True
            continue
        start = max(clause_start, index - 3)
        window = tokens[start:index]
        denials = [other for other in window if other[0].isalnum() and known_word(other) in known.negators]
        if denials and (word in known.words or word in known.positive):
            spent.update(spot for spot in range(start, index) if spot in denying)
        if len([other for other in denials if known_word(other) not in known.no]) > 1:
            return Reading(unclear=True, only_signals=False)  # "it wasn't not good"
        negated = bool(denials)
        if (word in known.words or word in known.positive) and known.conditionals & set(tokens[clause_start:index]):
            return Reading(unclear=True, only_signals=False)  # "would be great if…", "wish it was faster"
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        alone = not following[:1].isalnum() or following.isdecimal()  # "No.", "Sadly no", "yes, thanks", "no 1"
        single = len(word) > 1 or sum(other[0].isalnum() for other in tokens) == 1  # "y" alone; "x.y" is no yes
        denied = known_word(following) in known.negators  # "Sure didn't"
        emphasis = word in known.emphatic and known_word(following) in known.no  # "Definitely no": no, emphatically
        if (
            word in known.yes
            and not emphasis
            and known.no & {known_word(other) for other in tokens if other[0].isalpha()}
        ):
            return Reading(unclear=True, only_signals=False)  # "Yeah no", "No yeah", "yes/no"
        if word in known.yes and (first or alone) and single and not denied and not emphasis:
            signals.append((Outcome.MET, BARE))  # "will definitely come back" is no "yes"
        elif word in known.no and (alone or (first and following in known.starters)) and single:
            signals.append((Outcome.BELOW, STRONG))  # "No", "nah 😡", "Sadly no", "no they didn't"
            spent.add(index)
            clause_start = index + 1  # "no it was bad": a new sentence; "no good", "no estuvo bien" negate
        elif word in known.words:
            outcome = known.words[word]
            if negated and outcome is Outcome.EXCEEDED and word not in known.plainly_denied:
                return Reading(unclear=True, only_signals=False)  # "not perfect", "didn't exceed": met, or below?
            if negated:
                outcome = Outcome.MET if outcome is Outcome.BELOW else Outcome.BELOW
            signals.append((outcome, MILD if word in _MILD else STRONG))
        elif word in known.positive:
            if negated:
                signals.append((Outcome.BELOW, STRONG))
            else:
                positive = True
        elif word in known.topics or (
            word not in known.fillers and word not in known.negators and word not in known.no
        ):
            only_signals, content = False, True  # "The staff were fantastic" is kept as the comment
    if raised:
        signals = [(Outcome.EXCEEDED if outcome is Outcome.MET else outcome, STRONG) for outcome, _ in signals]
        if positive and not signals:
            signals.append((Outcome.EXCEEDED, STRONG))  # "can't believe how quick"
    keywords = known.opt_out_keywords | known.opt_in_keywords | known.help_keywords
    opening = bool(tokens) and tokens[0] in known.opt_out_keywords  # "Stop! Best… 3", "Stop? No way, keep them coming"
    if signals and (opening or (len(tokens) <= 4 and known.opt_out_keywords & set(tokens))):
        return Reading(unclear=True, only_signals=False)  # "no, stop": an answer, or no more texts?
    if trailing is not None and (signals or not content or (set_apart and not keywords & set(tokens))):
        signals.append((trailing, STRONG))  # "Feedback 3", "stopped by for lunch, 3" yes; "stop 3", "stop, 3" no
    complained = long_wait or excepted or cued or bool(denying - spent)
    if complained and any(outcome is not Outcome.BELOW for outcome, _ in signals):
        # Praise beside a complaint cue says two things: "amazing, 20 minutes for a sandwich", "great, again no
        # oat milk", "lovely, still waiting", "perfect, nobody at the till". A person reads it.
        return Reading(unclear=True, only_signals=False)
    if stated is not None:
        if any(strength > BARE and outcome.is_unmet != stated.is_unmet for outcome, strength in signals):
            return Reading(unclear=True, only_signals=False)  # "the wait was awful, I'd say 3"
        return Reading(((stated, STRONG),), positive, only_signals=False)
    if turns and signals and any(turn in (0, len(signals)) for turn in turns):
        return Reading(unclear=True, only_signals=False)  # "It was great but I wish you had oat milk"
    return Reading(tuple(signals), positive, only_signals)


def words(message: Message) -> Reply | None:
    """Yes/no, idioms and outcome words anywhere: one outcome, or unclear when they disagree."""
    reading = read_words(message.text)
    if not reading.signals and not reading.unclear:
        return None
    outcome = reading.outcome()
    if outcome is None:
        return Reply(ReplyKind.UNCLEAR, rule="words")
    return Reply(ReplyKind.RATING, outcome, comment="" if reading.only_signals else message.text, rule="words")


def close_typo(word: str, vocabulary: Iterable[str], *, shortest: int = 7) -> str | None:
    """A close typo (``exceded``, ``amazng``, ``dissapointed``) of a listed word of ``shortest`` letters or more.

    Six letters or more, the same first letter, one slip once doubled letters are single: "waiter",
    "unsatisfied" or "appointment" are other words, not typos of "waited", "satisfied", "disappointment".
    """
    if len(word) < 6 or not word.isalpha():
        return None
    single = _single(word)
    for known in vocabulary:
        if len(known) < shortest or known[0] != word[0] or " " in known or abs(len(known) - len(word)) > 2:
            continue
        if _typo_distance(single, _single(known), 1) <= 1:
            return known
    return None


def _single(word: str) -> str:
    return re.sub(r"(\w)\1+", r"\1", word)


def _typo_distance(first: str, second: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from one word to the other, up to ``limit + 1``."""
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i] + [0] * len(second)
        for j, b in enumerate(second, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
