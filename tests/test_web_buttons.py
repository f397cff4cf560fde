"""The buttons under the conversation are sent to the page as Chainlit would send them."""

from __future__ import annotations

import chainlit as cl
import pytest

from assistant.web import employee
from assistant.web.buttons import Button

ICONS = (None, "check", "trash-2")


@pytest.mark.parametrize("name", sorted(employee.ACTIONS))
@pytest.mark.parametrize("icon", ICONS)
def test_a_button_is_sent_as_chainlit_s_own_to_dict_gives_it(name: str, icon: str | None) -> None:
    payload: dict[str, object] = {"interview": "0" * 32, "point": 2, "campaign": "été"}
    button = employee._button(name, payload, "Retirer l'entretien", icon)
    assert isinstance(button, Button)
    button.forId = "message-1"  # as Action.send sets it
    expected = cl.Action.to_dict(button)  # dataclasses_json's, which Chainlit sends
    assert button.to_dict() == expected
    assert list(button.to_dict()) == list(expected)


def test_every_field_of_chainlit_s_action_is_sent() -> None:
    button = employee._button(employee.STOP, {}, "Arrêter", "circle-stop")
    assert set(button.to_dict()) == set(cl.Action.__dataclass_fields__)
