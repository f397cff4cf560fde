"""The comparison of two runs for CI: lines for the log and JUnit XML for the CI's test view."""

from __future__ import annotations

from xml.etree import ElementTree

from assistant.evaluation.assertions import Status
from assistant.evaluation.report import problems_of, seconds
from assistant.evaluation.results import Comparison, RunResults


def _shorten(text: str | None, limit: int = 160) -> str:
    if text is None:
        return "(none)"
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def comparison_lines(comparison: Comparison) -> list[str]:
    lines: list[str] = []
    for title, changes in (
        ("Regressions", comparison.regressions),
        ("Improvements", comparison.improvements),
    ):
        lines.append(f"{title}: {len(changes)}")
        width = max((len(change.case) for change in changes), default=0)
        shown: set[str] = set()
        for change in changes:
            lines.append(
                f"  {change.case:<{width}}  {change.check:<28} {change.before:>5} → {change.after}"
            )
            if change.case in shown or change.before_message == change.after_message:
                continue
            shown.add(change.case)
            lines.append(f"      before: {_shorten(change.before_message)}")
            lines.append(f"      after:  {_shorten(change.after_message)}")
    if comparison.pass_rates:
        lines.append("Pass rates (k/n) that changed:")
        lines += [
            f"  {case_id}: {before} → {after}"
            for case_id, (before, after) in comparison.pass_rates.items()
        ]
    if comparison.missing:
        lines.append("Cases of the baseline not in this run: " + ", ".join(comparison.missing))
    if comparison.added:
        lines.append("Cases new in this run: " + ", ".join(comparison.added))
    return lines


def junit_xml(comparison: Comparison, current: RunResults) -> str:
    """The new run as JUnit XML: one test per case (and per missing one), failed when it
    regressed or does not pass, for CI systems that read it."""
    regressed: dict[str, list[str]] = {}
    for change in comparison.regressions:
        regressed.setdefault(change.case, []).append(
            f"{change.check}: {change.before} → {change.after}"
        )
    suite = ElementTree.Element("testsuite", name="terrain-eval")
    failures = errors = 0
    for case in current.cases:
        test = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"terrain.{case.kind}",
            name=case.id,
            time=f"{seconds(case):g}",
        )
        problems = problems_of(case)
        if case.id in regressed:
            failures += 1
            failure = ElementTree.SubElement(test, "failure", message="regression")
            failure.text = "\n".join([*regressed[case.id], problems])
        elif case.status == Status.ERROR:
            errors += 1
            ElementTree.SubElement(test, "error", message=problems or "error")
        elif case.status == Status.FAIL:
            failures += 1
            ElementTree.SubElement(test, "failure", message=problems or "failed")
    for case_id in comparison.missing:
        test = ElementTree.SubElement(suite, "testcase", classname="terrain.missing", name=case_id)
        if case_id in regressed:
            failures += 1
            ElementTree.SubElement(test, "failure", message="missing from the new run")
        else:
            ElementTree.SubElement(test, "skipped", message="missing from the new run (allowed)")
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
