"""Agreement between the model's coding and the facilitators' final coding (Cohen's κ).

Each reviewed finding is one unit coded twice: the code the model proposed and the code the
facilitator kept. A rejected finding counts as the facilitator coding it "none"; a finding the
facilitator added counts as the model having coded it "none". Findings not yet reviewed are
left out. κ = (pₒ − pₑ) / (1 − pₑ), with pₒ the observed agreement and pₑ the agreement
expected by chance from each coder's own frequencies (Cohen, 1960). Per code, κ is computed on
the binary question "is it this code?".

There is nothing to compare until a facilitator has reviewed at least one finding the model
proposed: findings facilitators added alone would give κ = 0 whatever the model's quality.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import TypeVar

from pydantic import BaseModel, Field

from assistant.schemas import Finding, FindingOrigin, FindingStatus

NONE = "none"
Category = TypeVar("Category", bound=Hashable)


class FindingCounts(BaseModel):
    """How many findings there are of each kind."""

    proposed: int = Field(description="Proposed by the model, not reviewed yet.")
    accepted: int = Field(description="Proposed by the model, accepted as they were.")
    edited: int = Field(description="Proposed by the model, edited by a facilitator.")
    rejected: int = Field(description="Proposed by the model, rejected by a facilitator.")
    added: int = Field(description="Added by facilitators.")

    @property
    def reviewed(self) -> int:
        """Model proposals a facilitator has reviewed."""
        return self.accepted + self.edited + self.rejected


class Agreement(BaseModel):
    units: int
    observed: float | None
    kappa: float | None
    per_code: dict[str, float | None]
    findings: FindingCounts
    nothing_to_compare_because: str | None = Field(
        default=None, description="Why there is no agreement to measure yet (None when there is)."
    )


def count_findings(findings: Sequence[Finding]) -> FindingCounts:
    added = sum(finding.origin == FindingOrigin.FACILITATOR for finding in findings)
    statuses = Counter(
        finding.status for finding in findings if finding.origin == FindingOrigin.MODEL
    )
    return FindingCounts(
        proposed=statuses[FindingStatus.PROPOSED],
        accepted=statuses[FindingStatus.ACCEPTED],
        edited=statuses[FindingStatus.EDITED],
        rejected=statuses[FindingStatus.REJECTED],
        added=added,
    )


def _nothing_to_compare(counts: FindingCounts) -> str | None:
    if counts.reviewed:
        return None
    if not (counts.proposed or counts.added):
        return "there are no findings yet"
    reason = "no finding the model proposed has been reviewed yet"
    if counts.added:
        reason += " (findings added by facilitators have no model code to compare with)"
    return reason


def coded_pairs(findings: Sequence[Finding]) -> list[tuple[str, str]]:
    """(model's code, facilitator's code) for every reviewed finding."""
    pairs: list[tuple[str, str]] = []
    for finding in findings:
        if finding.status == FindingStatus.PROPOSED:
            continue
        if finding.origin == FindingOrigin.FACILITATOR:
            pairs.append((NONE, finding.code))
        elif finding.status == FindingStatus.REJECTED:
            pairs.append((finding.proposed_code or finding.code, NONE))
        else:
            pairs.append((finding.proposed_code or finding.code, finding.code))
    return pairs


def cohen_kappa(pairs: Sequence[tuple[Category, Category]]) -> float | None:
    """κ for two coders over the same units; None when it is undefined (no units, or both
    coders always used one and the same category)."""
    if not pairs:
        return None
    total = len(pairs)
    observed = sum(a == b for a, b in pairs) / total
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first.keys() | second.keys()) / total**2
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def agreement(findings: Sequence[Finding], codes: Sequence[str]) -> Agreement:
    counts = count_findings(findings)
    if reason := _nothing_to_compare(counts):
        return Agreement(
            units=0,
            observed=None,
            kappa=None,
            per_code={},
            findings=counts,
            nothing_to_compare_because=reason,
        )
    pairs = coded_pairs(findings)
    per_code = {
        code: cohen_kappa([(a == code, b == code) for a, b in pairs])
        for code in codes
        if any(code in pair for pair in pairs)
    }
    observed = sum(a == b for a, b in pairs) / len(pairs) if pairs else None
    return Agreement(
        units=len(pairs),
        observed=observed,
        kappa=cohen_kappa(pairs),
        per_code=per_code,
        findings=counts,
    )
