"""How long the web tests wait: until the condition holds, capped only against a hang.

No test may depend on the machine's speed (a loaded machine is slow, and `make test` once
failed on a fixed 120 s deadline): every wait ends as soon as what it waits for is true, and
this cap, far beyond any machine's slowness, only stops a test that would otherwise hang.
"""

HANG_CAP_SECONDS = 600.0
HANG_CAP_MS = int(HANG_CAP_SECONDS * 1000)
