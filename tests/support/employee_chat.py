"""An employee's interview in the web app: the answers, the interviewer's replies, a consented
client."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.web.client import WebClient
from tests.web.server import WebServer

# One answer per step, each with what the guide listens for (as in tests/test_interview.py).
ANSWERS = [
    "Je suis auxiliaire de vie sociale, je m'occupe de personnes âgées à domicile.",
    "Hier matin chez Mme R., elle était inquiète parce que sa fille ne l'appelait plus.",
    "Je me suis assise avec elle, je l'ai laissée parler, puis j'ai fait la toilette.",
    "Sa fille était au téléphone ensuite ; ma collègue infirmière est passée aussi.",
    "Ça lui a apporté du calme, et moi j'ai senti qu'on avait confiance.",
    "Normalement la toilette dure 30 minutes mais en réalité j'ai dépassé de 20 minutes.",
    "L'application du planning ne sait pas que je reste plus longtemps.",
]


def interviewer(body: dict[str, Any]) -> str:
    """One short question naming the step; the summary's points when a schema is asked."""
    if isinstance(body.get("format"), dict):
        return json.dumps({"points": POINTS})
    system = body["messages"][0]["content"]
    match = re.search(r"Étape en cours : (.+)|Current step: (.+)", system)
    step = (match.group(1) or match.group(2)).strip() if match else "?"
    # Six words at most: a whole title would be a run of the instructions, which the guard
    # replaces ("Ce qui est prévu et ce qui se passe" has nine).
    return f"[{' '.join(step.split()[:6])}] Comment cela s'est-il passé ?"


async def consented(web: WebServer, name: str, language: str = "fr-FR") -> WebClient:
    client = web.client(name, language)
    await client.login()
    await client.connect()
    agree = "J'accepte" if language.startswith("fr") else "I agree"
    await client.wait_for(lambda: agree in client.labels())
    response = await client.click(agree)
    assert response.status_code == 200, response.text
    withdraw = "Retirer mon entretien" if language.startswith("fr") else "Withdraw my interview"
    await client.wait_for(lambda: withdraw in client.labels())
    return client


def interview_of(web: WebServer, thread_id: str | None) -> Any:
    assert thread_id
    with web.store() as store:
        return store.interviews.get(thread_id), store.interviews.turns(thread_id)


POINTS = ["Vous accompagnez des personnes âgées à domicile.", "Hier, Mme R. était inquiète."]
