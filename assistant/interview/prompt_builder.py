"""The prompt sent at each turn, kept under a token budget however long the interview.

Recent turns go verbatim, in their roles (the employee's words as the user's messages). Older
turns are reduced to short notes, oldest dropped first. Retrieved passages and notes sit inside
delimited blocks of the system message, marked as data; the prompt's renderer neutralises any
angle bracket inside them (:mod:`assistant.prompts`), so that no text can close a block and speak
as an instruction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.interview.guide import PhaseSpec
from assistant.interview.state import SessionState
from assistant.llm import ChatMessage
from assistant.prompts import PromptFile, Trusted, fragment
from assistant.retrieval.search import Hit
from assistant.schemas import Speaker, Turn
from assistant.tokens import TokenCounter

DOCUMENTS_SHARE = 0.25
NOTES_SHARE = 0.15
NOTE_TOKENS = 40
MIN_RECENT_TURNS = 2


@dataclass(frozen=True)
class PromptContext:
    template: PromptFile
    phase: PhaseSpec
    state: SessionState
    target_minutes: int
    max_questions: int
    canary: str = ""  # written into the instructions: a reply showing it leaked them
    focus: str = ""  # the campaign's focus, which the interviewer keeps to (staff-written data)


def build_messages(
    context: PromptContext,
    turns: Sequence[Turn],
    documents: Sequence[Hit],
    counter: TokenCounter,
    budget: int,
) -> list[ChatMessage]:
    """The messages for the next interviewer turn, within ``budget`` tokens."""
    document_block = _documents(documents, counter, int(budget * DOCUMENTS_SHARE))
    system_without_notes = _system(context, notes="", documents=document_block)
    room = budget - counter.count(system_without_notes) - counter.PER_MESSAGE_OVERHEAD
    recent = _recent_turns(turns, counter, room - int(budget * NOTES_SHARE))
    older = turns[: len(turns) - len(recent)]
    recent_size = counter.count_messages(turn.text for turn in recent)
    room -= recent_size
    notes = _notes(older, counter, max(room, 0))
    system = _system(context, notes=notes, documents=document_block)
    # The notes were counted line by line, apart from the instructions around them: where they
    # meet, the tokenizer may take a token or two more, and the line saying how many answers
    # are not shown is not counted at all. The whole is counted, and the notes given less room
    # until it fits (at worst, none).
    over = counter.count(system) + counter.PER_MESSAGE_OVERHEAD + recent_size - budget
    while over > 0 and notes:
        room -= over
        notes = _notes(older, counter, room) if room > 0 else ""
        system = _system(context, notes=notes, documents=document_block)
        over = counter.count(system) + counter.PER_MESSAGE_OVERHEAD + recent_size - budget
    return [ChatMessage.system(system), *(_as_message(turn) for turn in recent)]


def _system(context: PromptContext, *, notes: str, documents: Trusted) -> str:
    spec = context.phase
    return context.template.render(
        phase_title=Trusted(spec.title),
        phase_goal=Trusted(spec.goal),
        phase_focus=Trusted(spec.focus),
        grounding_instruction=Trusted(spec.grounding_instruction),
        elapsed_minutes=round(context.state.active_seconds / 60),
        target_minutes=context.target_minutes,
        questions_asked=context.state.total_questions,
        max_questions=context.max_questions,
        memory=notes or "-",
        documents=documents or "-",
        canary=Trusted(context.canary),
        campaign_focus=context.focus or "-",
    )


def _documents(hits: Sequence[Hit], counter: TokenCounter, budget: int) -> Trusted:
    blocks: list[Trusted] = []
    used = 0
    for hit in hits:
        block = fragment(
            '<document source="$source">\n$text\n</document>', source=hit.citation, text=hit.text
        )
        size = counter.count(block)
        if used + size > budget:
            break
        blocks.append(block)
        used += size
    return Trusted("\n").join(blocks)


def _recent_turns(turns: Sequence[Turn], counter: TokenCounter, budget: int) -> list[Turn]:
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        size = counter.count(turn.text) + counter.PER_MESSAGE_OVERHEAD
        if used + size > budget and len(kept) >= MIN_RECENT_TURNS:
            break
        if used + size > budget:
            # Even the last exchange is too long: keep its beginning rather than nothing.
            turn = turn.model_copy(
                update={"text": counter.truncate(turn.text, max(budget // 2, 16))}
            )
            size = counter.count(turn.text) + counter.PER_MESSAGE_OVERHEAD
        kept.insert(0, turn)
        used += size
    return kept


def _notes(older: Sequence[Turn], counter: TokenCounter, budget: int) -> str:
    """Short notes on earlier answers, the latest first to survive when space runs out."""
    lines: list[str] = []
    used = 0
    for turn in reversed(older):
        if turn.speaker != Speaker.EMPLOYEE:
            continue
        excerpt = counter.truncate(" ".join(turn.text.split()), NOTE_TOKENS)
        ellipsis = "…" if excerpt != " ".join(turn.text.split()) else ""
        line = f"- ({turn.phase.value}) {excerpt}{ellipsis}"  # data: escaped by the renderer
        size = counter.count(line) + 1
        if used + size > budget:
            break
        lines.insert(0, line)
        used += size
    answered = sum(1 for turn in older if turn.speaker == Speaker.EMPLOYEE)
    if answered > len(lines):
        lines.insert(0, f"({answered - len(lines)} earlier answers not shown)")
    return "\n".join(lines)


def _as_message(turn: Turn) -> ChatMessage:
    if turn.speaker == Speaker.EMPLOYEE:
        return ChatMessage.user(turn.text)
    return ChatMessage.assistant(turn.text)
