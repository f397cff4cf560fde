"""An interview held in the web app keeps the profile its employee had when it started."""

from __future__ import annotations

import pytest

from assistant.schemas import AccountUpdate, Profile
from tests.support.employee_chat import consented, interview_of
from tests.web.server import WebServer

pytestmark = pytest.mark.slow


async def test_an_interview_started_in_the_web_app_keeps_the_profile_it_started_with(
    web: WebServer,
) -> None:
    with web.store() as store:
        store.accounts.update("chloe", AccountUpdate(profile=Profile(job="aide", site="Crest")))
    client = await consented(web, "chloe")
    with web.store() as store:
        store.accounts.update("chloe", AccountUpdate(profile=Profile(job="cadre", site="Lyon")))
    interview, _ = interview_of(web, client.thread_id)
    assert interview.profile == Profile(job="aide", site="Crest")
    await client.disconnect()
