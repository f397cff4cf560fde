"""Agreement between the model's coding and the facilitators' final coding (Cohen's κ).

Each reviewed finding is one unit coded twice: the code the model proposed and the code the
facilitator kept. A rejected finding counts as the facilitator coding it "none"; a finding the
facilitator added counts as the model having coded it "none". Findings not yet reviewed are
left out. κ = (pₒ − pₑ) / (1 − pₑ), with pₒ the observed agreement and pₑ the agreement
expected by chance from each coder's own frequencies (Cohen, 1960). Per code, κ is computed on
the binary question "is it this code?".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from assistant.schemas import Finding, FindingOrigin, FindingStatus

NONE = "none"
Category = TypeVar("Category", bound=Hashable)


class Agreement(BaseModel):
    units: int
    observed: float | None
    kappa: float | None
    per_code: dict[str, float | None]


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
    pairs = coded_pairs(findings)
    per_code = {
        code: cohen_kappa([(a == code, b == code) for a, b in pairs])
        for code in codes
        if any(code in pair for pair in pairs)
    }
    observed = sum(a == b for a, b in pairs) / len(pairs) if pairs else None
    return Agreement(
        units=len(pairs), observed=observed, kappa=cohen_kappa(pairs), per_code=per_code
    )
