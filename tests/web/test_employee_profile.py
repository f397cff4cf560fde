"""An interview held in the web app keeps the profile its employee had when it started."""

from __future__ import annotations

import pytest

from assistant.auth import reset_password
from assistant.schemas import AccountUpdate, Profile, UserRole
from tests.support.employee_chat import consented, interview_of
from tests.web.client import WebClient
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


async def test_a_temporary_password_opens_no_interview_until_the_employee_chose_their_own(
    web: WebServer,
) -> None:
    given = "donne-par-un-administrateur"
    web.add_accounts({"tessa": UserRole.EMPLOYEE})
    with web.store() as store:
        reset_password(store, "tessa", given)
        before = len(store.interviews.where())
    client = WebClient(web.url, "tessa", given, language="fr-FR")
    await client.login()
    await client.connect()
    await client.wait_for_text("choisissez le vôtre")
    assert "/staff/password" in client.last()
    await client.send("Je voudrais commencer.")
    await client.wait_for(lambda: len(client.texts("assistant_message")) >= 2)
    assert "choisissez le vôtre" in client.last()
    with web.store() as store:
        assert len(store.interviews.where()) == before  # nothing started, nothing stored
    await client.disconnect()
