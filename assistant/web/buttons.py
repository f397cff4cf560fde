"""The buttons under the conversation, as the page is sent them."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import chainlit as cl


class Button(cl.Action):
    """Chainlit's action, turned into what the page is sent as a plain copy of its fields.

    ``Action.send`` and ``Action.remove`` send ``to_dict()``, which dataclasses_json builds in
    about 40 µs; the buttons under the latest message are removed and sent again at every
    message, four or more each time. The copy takes about 1 µs and gives the same dict
    (tests/test_web_buttons.py compares the two for every button the app shows)."""

    def to_dict(self, encode_json: bool = False) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in fields(self)}
