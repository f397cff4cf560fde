"""The report's deterministic sections, computed from findings without any model.

Definitions the counts rest on:

- a **person** is an interview's owner (the account, or the keyed hash that stands for it);
  an interview without an owner (held in the terminal, or imported) counts as a person of its
  own, under its pseudonym — so one person interviewed twice that way counts twice, which is
  why such interviews should be linked to their owner before a report is published;
- an **episode** is one activity an interview recounts: the pair (interview, activity as the
  finding names it, compared without case or spacing). The guide asks for one concrete
  episode, but people often tell several, and each finding records the activity it comes from;
  a finding with no activity belongs to its interview's one unnamed episode.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from assistant.findings.codebook import Codebook
from assistant.findings.evidence import verify
from assistant.report.anonymity import Line, shown, suppress
from assistant.report.groups import EXPOSURES, GroupCounts
from assistant.report.heatmap import Disclosure, HeatmapCounts
from assistant.report.records import (
    UNKNOWN,
    AutomationRow,
    CountRow,
    Coverage,
    GapGroup,
    GroupCount,
    GroupView,
    Heatmap,
    InterviewProfile,
    ShownQuote,
    Theme,
    Withheld,
)
from assistant.report.texts import text_for
from assistant.schemas import Finding, FindingStatus, Interview, Turn

REPORTED_STATUSES = frozenset({FindingStatus.ACCEPTED, FindingStatus.EDITED})
_DESCRIPTIONS_PER_GAP = 5
_REASONS_PER_ROW = 3
# A transcript's layout copied into a text: a turn number in brackets, or a speaker's label.
_TRANSCRIPT_LAYOUT = re.compile(
    r"\[\d+\]|\b(?:intervieweu?r|interviewer|employ[ée]e?|employee|salari[ée]e?)\s*:",
    re.IGNORECASE,
)

G = TypeVar("G")
K = TypeVar("K", bound=Hashable)
Redact = Callable[[str], str]
"""Text in, redacted text out (replacing what it finds)."""
RedactQuote = Callable[[str], str | None]
"""Text in, redacted text out, or None when the quote is doubtful and must not be shown."""


def person_key(interview: Interview) -> str:
    return interview.owner_key or f"pseudonym:{interview.pseudonym}"


def normalized(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().casefold()


def selected_findings(
    findings: Iterable[Finding], interviews: Iterable[Interview], include_proposed: bool
) -> list[Finding]:
    """Accepted and edited findings of the given interviews; unreviewed ones on request."""
    statuses = REPORTED_STATUSES | ({FindingStatus.PROPOSED} if include_proposed else set())
    known = {interview.id for interview in interviews}
    return [f for f in findings if f.status in statuses and f.interview_id in known]


def is_draft(finding: Finding) -> bool:
    return finding.status == FindingStatus.PROPOSED


@dataclass
class Tally:
    people: set[str] = field(default_factory=set)
    episodes: set[tuple[str, str]] = field(default_factory=set)
    interviews: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding, person: str) -> None:
        self.people.add(person)
        self.episodes.add((finding.interview_id, normalized(finding.activity)))
        self.interviews.add(finding.interview_id)
        self.findings.append(finding)

    @property
    def drafts(self) -> bool:
        return any(is_draft(f) for f in self.findings)


@dataclass
class Sections:
    coverage: Coverage
    heatmap: Heatmap
    themes: list[Theme]
    counterparts: list[CountRow]
    gaps: list[GapGroup]
    automation: list[AutomationRow]
    groups: list[GroupView]
    withheld: Withheld
    quotes_allowed: bool
    theme_findings: dict[str, list[Finding]]


class SectionBuilder:
    """Computes every deterministic section; see the module docstring for the definitions."""

    def __init__(
        self,
        codebook: Codebook,
        language: str,
        min_people: int,
        min_people_for_quotes: int,
        quotes_per_theme: int,
        redact: Redact,
        redact_quote: RedactQuote,
        employee_words: Mapping[str, Sequence[Turn]] | None = None,
    ) -> None:
        self.employee_words = employee_words or {}
        self.codebook = codebook
        self.language = language
        self.min_people = min_people
        self.min_people_for_quotes = min_people_for_quotes
        self.quotes_per_theme = quotes_per_theme
        self.redact = redact
        self.redact_quote = redact_quote
        self.withheld: Counter[str] = Counter()

    def build(
        self,
        interviews: Sequence[Interview],
        findings: Sequence[Finding],
        profiles: dict[str, InterviewProfile],
    ) -> Sections:
        self.withheld = Counter()
        people_of = {interview.id: person_key(interview) for interview in interviews}
        everyone = {people_of[f.interview_id] for f in findings}
        quotes_allowed = len(everyone) >= self.min_people_for_quotes
        heat = HeatmapCounts(
            findings,
            people_of,
            self.codebook.stage_ids,
            self.codebook.code_ids,
            lambda f: (f.interview_id, normalized(f.activity)),
        )
        groups = GroupCounts(interviews, findings, profiles, people_of, heat)
        table = Disclosure()
        heat.add_to(table, self.min_people)
        groups.add_to(table, self.min_people)
        hidden = table.protect(self.min_people)
        heatmap = heat.shown(hidden, self._stage_label, self._code_label)
        self.withheld["cells"] = sum(1 for cell in heatmap.cells if cell.people is None)
        visible_codes = {c for c in heat.codes if ("code", c) not in hidden}
        themes, theme_findings = self._themes(findings, people_of, visible_codes, quotes_allowed)
        labels = {"code": self._code_label, "stage": self._stage_label}
        views, left_out = groups.views(
            hidden, labels | {"exposure": self._exposure_label}, self.redact
        )
        self.withheld["group_rows"] = left_out
        self.withheld["groups"] = groups.hidden_groups(hidden)
        return Sections(
            coverage=self._coverage(interviews, findings, people_of, groups, hidden),
            heatmap=heatmap,
            themes=themes,
            counterparts=self._counterparts(findings, people_of),
            gaps=self._gaps(findings, people_of, quotes_allowed),
            automation=self._automation(findings, people_of, quotes_allowed),
            groups=views,
            withheld=Withheld(**self.withheld),
            quotes_allowed=quotes_allowed,
            theme_findings=theme_findings,
        )

    def _stage_label(self, stage_id: str) -> str:
        stage = self.codebook.stage(stage_id)
        return stage.label.in_language(self.language) if stage else stage_id

    def _code_label(self, code_id: str) -> str:
        code = self.codebook.code(code_id)
        return code.label.in_language(self.language) if code else code_id

    def _exposure_label(self, exposure: str) -> str:
        return text_for(self.language, exposure)

    def _published(self, counts: Mapping[K, int], total: K) -> frozenset[K]:
        """The report's number of people, which coverage shows once it reaches the threshold."""
        return frozenset({total}) if counts[total] >= self.min_people else frozenset()

    # ------------------------------------------------------------------------- themes

    def _themes(
        self,
        findings: Sequence[Finding],
        people_of: dict[str, str],
        visible_codes: set[str],
        quotes_allowed: bool,
    ) -> tuple[list[Theme], dict[str, list[Finding]]]:
        tallies: dict[str, Tally] = defaultdict(Tally)
        for finding in findings:
            tallies[finding.code].add(finding, people_of[finding.interview_id])
        themes: list[Theme] = []
        theme_findings: dict[str, list[Finding]] = {}
        for code, tally in tallies.items():
            quote_count = sum(len(f.evidence) for f in tally.findings)
            if code not in visible_codes:
                self.withheld["themes"] += 1
                self.withheld["quotes"] += quote_count
                continue
            quotes = self._quotes(tally.findings, people_of) if quotes_allowed else []
            if not quotes_allowed:
                self.withheld["quotes"] += quote_count
            theme_findings[code] = tally.findings
            themes.append(
                Theme(
                    code=code,
                    label=self._code_label(code),
                    people=len(tally.people),
                    episodes=len(tally.episodes),
                    interviews=len(tally.interviews),
                    findings=len(tally.findings),
                    drafts=tally.drafts,
                    quotes=quotes,
                    finding_ids=[f.id for f in tally.findings],
                )
            )
        themes.sort(key=lambda t: (-t.people, -t.episodes, t.code))
        return themes, theme_findings

    def _quotes(self, findings: Sequence[Finding], people_of: dict[str, str]) -> list[ShownQuote]:
        """Up to ``quotes_per_theme`` quotes, one per person, reviewed and confident first."""
        chosen: list[ShownQuote] = []
        people_quoted: set[str] = set()
        ranked = sorted(findings, key=lambda f: (is_draft(f), -(f.confidence or 0.0), f.id))
        for finding in ranked:
            if len(chosen) >= self.quotes_per_theme:
                break
            person = people_of[finding.interview_id]
            if person in people_quoted:
                continue
            for quote in finding.evidence:
                text = self.redact_quote(quote.text)
                if text is None:
                    self.withheld["quotes_doubtful"] += 1
                    continue
                if any(shown.text == text for shown in chosen):
                    continue
                chosen.append(ShownQuote(text=text, finding_id=finding.id, draft=is_draft(finding)))
                people_quoted.add(person)
                break
        return chosen

    # ------------------------------------------------------------------ counterparts

    def _counterparts(
        self, findings: Sequence[Finding], people_of: dict[str, str]
    ) -> list[CountRow]:
        groups = _group(findings, lambda f: normalized(f.counterpart) or UNKNOWN)
        rows = []
        for key, members in groups.items():
            people = {people_of[f.interview_id] for f in members}
            if len(people) < self.min_people:
                self.withheld["counterparts"] += 1
                continue
            label = UNKNOWN if key == UNKNOWN else _most_common(f.counterpart for f in members)
            rows.append(
                CountRow(
                    label=self.redact(label),
                    people=len(people),
                    findings=len(members),
                    drafts=any(is_draft(f) for f in members),
                )
            )
        rows.sort(key=lambda r: (-r.people, r.label))
        return rows

    # -------------------------------------------------------------------------- gaps

    def _gaps(
        self, findings: Sequence[Finding], people_of: dict[str, str], quotes_allowed: bool
    ) -> list[GapGroup]:
        with_gap = [f for f in findings if f.prescribed_gap is not None]

        def passage_of(finding: Finding) -> tuple[str, int, str]:
            passage = finding.prescribed_gap.passage if finding.prescribed_gap else None
            if passage is None:
                return ("", -1, "")
            return (passage.source, passage.page or -1, passage.section)

        groups = _group(with_gap, passage_of)
        result = []
        for (source, page, section), members in groups.items():
            people = {people_of[f.interview_id] for f in members}
            if len(people) < self.min_people:
                self.withheld["gaps"] += 1
                continue
            descriptions: list[str] = []
            if quotes_allowed:
                for gap in (f.prescribed_gap for f in members):
                    if gap is None:
                        continue
                    text = self.redact_quote(gap.description)
                    if text is None:
                        self.withheld["quotes_doubtful"] += 1
                    elif text not in descriptions and len(descriptions) < _DESCRIPTIONS_PER_GAP:
                        descriptions.append(text)
            result.append(
                GapGroup(
                    source=source or None,
                    page=None if page < 0 else page,
                    section=self.redact(section),
                    people=len(people),
                    descriptions=descriptions,
                    drafts=any(is_draft(f) for f in members),
                )
            )
        result.sort(key=lambda g: (-g.people, g.source or "", g.section))
        return result

    # -------------------------------------------------------------------- automation

    def _automation(
        self, findings: Sequence[Finding], people_of: dict[str, str], quotes_allowed: bool
    ) -> list[AutomationRow]:
        groups = _group(findings, lambda f: normalized(f.activity) or UNKNOWN)
        rows = []
        for key, members in groups.items():
            people = {people_of[f.interview_id] for f in members}
            if len(people) < self.min_people:
                self.withheld["automation_rows"] += 1
                continue
            by_exposure: dict[str, set[str]] = {e: set() for e in EXPOSURES}
            for finding in members:
                exposure = finding.automation_exposure
                by_exposure[exposure.value if exposure else UNKNOWN].add(
                    people_of[finding.interview_id]
                )
            counts: dict[str, int] = {e: len(p) for e, p in by_exposure.items()}
            counts["total"] = len(people)
            hidden = suppress(
                counts,
                [Line(list(EXPOSURES), "total")],
                self.min_people,
                fixed=frozenset({"total"}),
            )
            reasons, paraphrases = self._reasons(members) if quotes_allowed else ([], [])
            label = UNKNOWN if key == UNKNOWN else _most_common(f.activity for f in members)
            rows.append(
                AutomationRow(
                    activity=self.redact(label),
                    people=len(people),
                    exposure={e: shown(counts[e], e, hidden) for e in EXPOSURES},
                    reasons=reasons,
                    paraphrases=paraphrases,
                    drafts=any(is_draft(f) for f in members),
                )
            )
        rows.sort(key=lambda r: (-r.people, r.activity))
        return rows

    def _reasons(self, members: Sequence[Finding]) -> tuple[list[str], list[str]]:
        """The reasons given for an activity's exposure: those found word for word in what an
        employee said (quoted, as the employee's words), and the others (shown as paraphrase,
        without quotation marks), leaving out any that copy the transcript's layout (a speaker
        label, a turn number: the interviewer's words must never pass for an employee's)."""
        reasons: list[str] = []
        paraphrases: list[str] = []
        for finding in members:
            given = (finding.automation_reasons or "").strip()
            if not given or len(reasons) + len(paraphrases) >= _REASONS_PER_ROW:
                continue
            found = verify(given, self.employee_words.get(finding.interview_id, []))
            if found is None and _TRANSCRIPT_LAYOUT.search(given):
                continue
            text = self.redact_quote(found.text if found else given)
            if text is None:
                self.withheld["quotes_doubtful"] += 1
                continue
            kept = reasons if found else paraphrases
            if text not in reasons and text not in paraphrases:
                kept.append(text)
        return reasons, paraphrases

    # ---------------------------------------------------------------------- coverage

    def _coverage(
        self,
        interviews: Sequence[Interview],
        findings: Sequence[Finding],
        people_of: dict[str, str],
        groups: GroupCounts,
        hidden: set[Hashable],
    ) -> Coverage:
        everyone = set(people_of.values())
        enough = len(everyone) >= self.min_people
        # The heatmap's total, which its suppression already treats as published at the
        # threshold (``_published``): the people with a finding, beside the people interviewed.
        with_findings = {people_of[f.interview_id] for f in findings}
        return Coverage(
            interviews=len(interviews) if enough else None,
            people=len(everyone) if enough else None,
            people_with_findings=(
                len(with_findings) if len(with_findings) >= self.min_people else None
            ),
            findings=len(findings) if enough else None,
            draft_findings=sum(1 for f in findings if is_draft(f)),
            languages={
                group.label: group.people or 0
                for group in self._groups(interviews, people_of, lambda i: i.language)
            },
            roles=groups.coverage("role", hidden, self.redact),
            sites=groups.coverage("site", hidden, self.redact),
        )

    def _groups(
        self,
        interviews: Sequence[Interview],
        people_of: dict[str, str],
        group_of: Callable[[Interview], str | None],
    ) -> list[GroupCount]:
        """Groups of people (the languages), hidden below the threshold, so that no hidden one
        is recoverable from the report's number of people minus the groups shown."""
        members: dict[str, set[str]] = defaultdict(set)
        for interview in interviews:
            members[group_of(interview) or UNKNOWN].add(people_of[interview.id])
        if set(members) == {UNKNOWN}:
            return []
        counts = {label: len(people) for label, people in members.items()}
        counts[""] = len(set(people_of.values()))
        hidden = suppress(
            counts, [Line(list(members), "")], self.min_people, fixed=self._published(counts, "")
        )
        visible = [
            GroupCount(label=self.redact(label), people=counts[label])
            for label in members
            if label not in hidden
        ]
        return sorted(visible, key=lambda g: (-(g.people or 0), g.label))


def _group(findings: Iterable[Finding], key: Callable[[Finding], G]) -> dict[G, list[Finding]]:
    groups: dict[G, list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[key(finding)].append(finding)
    return groups


def _most_common(texts: Iterable[str | None]) -> str:
    return Counter(t.strip() for t in texts if t).most_common(1)[0][0]
