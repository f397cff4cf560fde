"""What issue 21's checks cost: the token-version check every socket event and staff request
now makes (a JWT decoded, the account read from SQLite), and the password policy (zxcvbn).

Run: .venv/bin/python benchmarks/sign_in_checks.py
"""

from __future__ import annotations

import os
import tempfile
import time


def main() -> None:
    os.environ["CHAINLIT_AUTH_SECRET"] = "a measuring secret, long enough for HS256 keys"
    os.environ.setdefault("CHAINLIT_APP_ROOT", tempfile.mkdtemp(prefix="terrain-bench-"))
    from chainlit.auth import create_jwt
    from chainlit.user import User

    from assistant.auth import add_user, check_password_rules
    from assistant.schemas import UserRole
    from assistant.store import Store
    from assistant.web.sessions import account_of_token

    folder = tempfile.mkdtemp(prefix="terrain-bench-")
    with Store(f"sqlite:///{folder}/terrain.db") as store:
        store.migrate()
        add_user(store, "fanny", UserRole.FACILITATOR, None)
        token = create_jwt(User(identifier="fanny", metadata={"token_version": 0}))
        checks = 2000
        start = time.perf_counter()
        for _ in range(checks):
            assert account_of_token(store, token) is not None
        per_check = (time.perf_counter() - start) / checks * 1000
        print(f"token check (per socket event or staff request): {per_check:.2f} ms, n={checks}")
    check_password_rules("correct horse battery", ("fanny",))  # zxcvbn's lists loaded
    passwords = 50
    start = time.perf_counter()
    for _ in range(passwords):
        check_password_rules("correct horse battery", ("fanny",))
    per_password = (time.perf_counter() - start) / passwords * 1000
    print(f"password policy (zxcvbn): {per_password:.1f} ms per password, n={passwords}")


if __name__ == "__main__":
    main()
