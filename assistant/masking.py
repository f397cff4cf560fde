"""Third parties masked for facilitators: the people an employee talks about never consented.

In what facilitators read (the transcript page, the findings' exports, the QDPX), the names,
phone numbers, e-mail and postal addresses, dates of birth and health details that the report's
redactor finds (:mod:`assistant.personal_data.redaction`) are replaced by labels. A person keeps
one label within an interview ("[personne A]" each time "Mme Durand" or "Durand" is named); the
other kinds have one label each ("[téléphone]", "[santé]"), in the interview's language.

The stored transcript is never changed: quotes keep their exact offsets in it. A
:class:`MaskedText` keeps where each label stands in both texts, so that a span of what a
facilitator sees (the words they select) maps back to the employee's own words, and a quote of
the employee's words maps to what is shown.

spaCy is slow to load and to run: the pipeline is loaded once per process (in the background
as soon as a facilitator opens the list of interviews, :func:`warm_up_in_background`), and an
interview's masks are computed once per content (its turns' digest) and kept in memory.
"""

from __future__ import annotations

import hashlib
import re
import string
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assistant.findings.evidence import locate
from assistant.personal_data.patterns import CIVILITY_NAME
from assistant.personal_data.redaction import PLACEHOLDERS, Kind, Redactor, default_redactor
from assistant.schemas import Finding, Interview, Quote, Turn

# Raised whenever what masking finds or how it labels changes, so that no stale mask is served.
MASKING_VERSION = "1"
CACHED_INTERVIEWS = 128
PERSON_LABEL = {"fr": "[personne {letter}]", "en": "[person {letter}]"}


@dataclass(frozen=True)
class Label:
    """One label: where the masked words stand in the original, and the label in the shown."""

    start: int
    end: int
    shown_start: int
    shown_end: int


@dataclass(frozen=True)
class MaskedText:
    """A text as facilitators see it, and where its labels stand in both texts."""

    text: str
    labels: tuple[Label, ...] = ()

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the shown span [start, end): a span that cuts into a label
        takes the whole of the words it stands for."""
        return self._map(start, end, shown=True)

    def to_shown(self, start: int, end: int) -> tuple[int, int]:
        """The shown span of the original span [start, end): masked words cut into take their
        whole label."""
        return self._map(start, end, shown=False)

    def _map(self, start: int, end: int, *, shown: bool) -> tuple[int, int]:
        def edges(label: Label) -> tuple[int, int, int, int]:
            if shown:
                return label.shown_start, label.shown_end, label.start, label.end
            return label.start, label.end, label.shown_start, label.shown_end

        mapped_start, mapped_end = start, end
        for label in self.labels:
            source_start, source_end, target_start, target_end = edges(label)
            if source_end <= start:
                mapped_start = target_end + (start - source_end)
            elif source_start <= start:
                mapped_start = target_start
            if source_end <= end:
                mapped_end = target_end + (end - source_end)
            elif source_start < end:
                mapped_end = target_end
        return mapped_start, max(mapped_start, mapped_end)


def _person_key(words: str) -> str:
    """The same person however the employee names them: civility dropped, case folded."""
    found = CIVILITY_NAME.fullmatch(words.strip())
    name = found.group("name") if found else words
    return " ".join(re.findall(r"[\w'’-]+", name.casefold()))


def _letters(number: int) -> str:
    """A, B, … Z, AA, AB, … for the 1st, 2nd, … person."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = string.ascii_uppercase[rest] + letters
    return letters


@dataclass
class _People:
    """The labels given so far to the people of one interview, in the order first named."""

    language: str
    keys: dict[str, str] = field(default_factory=dict)

    def label(self, words: str) -> str:
        key = _person_key(words)
        if key not in self.keys:
            # "Dubois" or "Jeanne" after "Mme Jeanne Dubois", "Jeanne Dubois" after "Jeanne":
            # the same person, the same label; "Jeanne Martin" after both, someone else.
            parts = set(key.split())
            for known, label in self.keys.items():
                if parts and (
                    parts <= set(known.split())
                    or all(
                        set(other.split()) <= parts
                        for other, given in self.keys.items()
                        if given == label
                    )
                ):
                    self.keys[key] = label
                    return label
            template = PERSON_LABEL.get(self.language, PERSON_LABEL["en"])
            self.keys[key] = template.format(letter=_letters(len(set(self.keys.values()))))
        return self.keys[key]


def _mask(text: str, redactor: Redactor, people: _People) -> MaskedText:
    placeholders = PLACEHOLDERS.get(people.language, PLACEHOLDERS["en"])
    spans, _doubts = redactor.spans(text)
    pieces: list[str] = []
    labels: list[Label] = []
    position = shown = 0
    for span in spans:
        kept = text[position : span.start]
        pieces.append(kept)
        shown += len(kept)
        words = text[span.start : span.end]
        label = people.label(words) if span.kind == Kind.PERSON else placeholders[span.kind]
        pieces.append(label)
        labels.append(Label(span.start, span.end, shown, shown + len(label)))
        shown += len(label)
        position = span.end
    pieces.append(text[position:])
    return MaskedText("".join(pieces), tuple(labels))


class InterviewMask:
    """One interview as facilitators see it: its turns masked, and what maps them back."""

    def __init__(self, language: str, turns: Sequence[Turn], redactor: Redactor) -> None:
        self._redactor = redactor
        self._people = _People(language)
        self._lock = threading.Lock()
        self._originals = {turn.index: turn.text for turn in turns}
        self._turns = {
            turn.index: _mask(turn.text, redactor, self._people)
            for turn in sorted(turns, key=lambda t: t.index)
        }
        self._free: dict[str, str] = {}

    def turn(self, turn: Turn) -> Turn:
        """The turn with its text masked (the same turn if its text is not the one masked)."""
        masked = self._turns.get(turn.index)
        if masked is None or self._originals[turn.index] != turn.text:
            return turn.model_copy(update={"text": self.free_text(turn.text) or turn.text})
        return turn.model_copy(update={"text": masked.text})

    def label_spans(self, turn: Turn) -> tuple[tuple[int, int], ...]:
        """Where the labels stand in the masked text of ``turn`` (none if it is not the turn
        masked), so that a page can show them as labels rather than as words said."""
        masked = self._turns.get(turn.index)
        if masked is None or self._originals[turn.index] != turn.text:
            return ()
        return tuple((label.shown_start, label.shown_end) for label in masked.labels)

    def quote(self, quote: Quote) -> Quote:
        """The quote as shown: its offsets in the masked turn when it stands in the turn; its
        own text masked (offsets kept) when it no longer does (a turn revised since)."""
        masked = self._turns.get(quote.turn_index)
        original = self._originals.get(quote.turn_index)
        if (
            masked is not None
            and original is not None
            and original[quote.start : quote.end] == quote.text
        ):
            start, end = masked.to_shown(quote.start, quote.end)
            if end > start:
                return Quote(
                    text=masked.text[start:end], turn_index=quote.turn_index, start=start, end=end
                )
        return quote.model_copy(update={"text": self.free_text(quote.text) or quote.text})

    def finding(self, finding: Finding) -> Finding:
        """The finding as shown: quotes, activity and counterpart masked."""
        return finding.model_copy(
            update={
                "evidence": [self.quote(quote) for quote in finding.evidence],
                "activity": self.free_text(finding.activity),
                "counterpart": self.free_text(finding.counterpart),
            }
        )

    def free_text(self, text: str | None) -> str | None:
        """A text about this interview that is not one of its turns (a finding's activity, a
        quote of a revised turn), masked with the interview's labels."""
        if not text:
            return text
        with self._lock:
            if text not in self._free:
                self._free[text] = _mask(text, self._redactor, self._people).text
            return self._free[text]

    def original_quote(self, turn: Turn, words: str) -> Quote | None:
        """The employee's own words behind ``words`` selected in the masked ``turn``: exact
        offsets in the stored turn, a label selected even in part standing for all it hides.
        None when the words do not stand in the turn as shown."""
        masked = self._turns.get(turn.index)
        if masked is None or self._originals[turn.index] != turn.text:
            return None
        found = locate(words, turn.model_copy(update={"text": masked.text}))
        if found is None:
            return None
        start, end = masked.to_original(found.start, found.end)
        return Quote(text=turn.text[start:end], turn_index=turn.index, start=start, end=end)


_cache: OrderedDict[str, InterviewMask] = OrderedDict()
_cache_lock = threading.Lock()
_compute_lock = threading.Lock()


def content_digest(language: str, turns: Iterable[Turn]) -> str:
    digest = hashlib.sha256(f"{MASKING_VERSION}\0{language}".encode())
    for turn in sorted(turns, key=lambda t: t.index):
        digest.update(f"\0{turn.index}\0{len(turn.text)}\0".encode())
        digest.update(turn.text.encode())
    return digest.hexdigest()


_redactor_lock = threading.Lock()


def default_mask_redactor() -> Redactor:
    """The process's redactor; one lock, so that the warm-up and a page never load it twice."""
    with _redactor_lock:
        return default_redactor()


def interview_mask(interview: Interview, turns: Sequence[Turn]) -> InterviewMask:
    """The interview's mask, computed once per content (the first time: spaCy's run over the
    transcript, and its load if no one loaded it yet)."""
    key = content_digest(interview.language, turns)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    with _compute_lock:
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        mask = InterviewMask(interview.language, turns, default_mask_redactor())
    with _cache_lock:
        _cache[key] = mask
        while len(_cache) > CACHED_INTERVIEWS:
            _cache.popitem(last=False)
    return mask


_warming: list[threading.Thread] = []


def warm_up_in_background() -> None:
    """Load the redactor's pipeline in a thread of its own, once per process: called when a
    facilitator opens the list of interviews, so that the transcript they open next does not
    wait for spaCy's load (a server that only employees use never loads it)."""
    with _cache_lock:
        if _warming:
            return
        thread = threading.Thread(
            target=lambda: default_mask_redactor().spans("Bonjour."),
            name="terrain-masking-warm-up",
            daemon=True,
        )
        _warming.append(thread)
    thread.start()
