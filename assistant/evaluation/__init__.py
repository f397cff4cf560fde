"""The evaluators' regression suite: cases in ``evals/``, assertions, a reply cache, the runner,
results, comparison with a baseline and the readable report.

Each interviewer assertion is scored twice: on what the model wrote (raw, recorded by
:class:`~assistant.evaluation.recording.RecordingChatModel` in front of the model port) and on
what Terrain's session delivered to the employee after its own checks.
"""
