"""A Chainlit client that speaks the browser's protocol, for tests and the load benchmark.

Sign-in is the login form (``POST /login``), which sets the ``access_token`` cookie. The
conversation is a Socket.IO connection to ``/ws/socket.io`` carrying that cookie and, in its
``auth`` packet, the conversation's session id and, to reopen a thread, its id. Messages go
out as ``client_message`` events; buttons are ``POST /project/action`` calls naming the
session. What the server shows arrives as events (``new_message``, ``stream_start``,
``stream_token``, ``update_message``, ``action``, ``remove_action``, ``task_end``…) that this
client folds into :attr:`messages` and :attr:`actions`, as the page would.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import socketio

from tests.web.waiting import HANG_CAP_SECONDS

# Plain HTTP on loopback. One context for every client: httpx builds a new one for each client
# otherwise (3 ms, blocking the loop that fifty simulated browsers share).
_NO_TLS = ssl.create_default_context()
_NO_TLS.check_hostname = False
_NO_TLS.verify_mode = ssl.CERT_NONE


class LoginError(RuntimeError):
    pass


def plain(markdown: str) -> str:
    """What a message escaped by the app reads as (its backslash escapes removed)."""
    return markdown.replace("\\", "")


@dataclass
class Shown:
    """One message as the page shows it."""

    id: str
    type: str
    author: str
    content: str
    streamed: bool = False
    streamed_text: str = ""  # what the page showed while the message was streaming


@dataclass
class WebClient:
    base_url: str
    username: str
    password: str
    language: str = "fr-FR"
    cookies: dict[str, str] = field(default_factory=dict)
    session_id: str = ""
    thread_id: str | None = None
    messages: dict[str, Shown] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[str, Any]] = field(default_factory=list)
    task_ends: int = 0
    resumed: dict[str, Any] | None = None
    resume_error: str | None = None
    first_token_at: float | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _sio: socketio.AsyncClient | None = None
    _clicks: httpx.AsyncClient | None = None

    # -- signing in -----------------------------------------------------------------------

    async def login(self) -> None:
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=HANG_CAP_SECONDS, verify=_NO_TLS
        ) as http:
            response = await http.post(
                "/login", data={"username": self.username, "password": self.password}
            )
            if response.status_code != 200:
                raise LoginError(f"{response.status_code}: {response.text}")
            self.cookies = {name: value for name, value in http.cookies.items()}
        if self._clicks is not None:  # clicks from now on carry the new cookie
            await self._clicks.aclose()
            self._clicks = None

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def http(self) -> httpx.AsyncClient:
        """A client carrying the sign-in cookie (plain HTTP on loopback: no TLS set-up)."""
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=HANG_CAP_SECONDS,
            verify=_NO_TLS,
            headers={"Cookie": self.cookie_header, "Accept-Language": self.language},
        )

    # -- the conversation -----------------------------------------------------------------

    async def connect(self, thread_id: str | None = None) -> None:
        """Open a conversation (a new one, or ``thread_id`` reopened), as a page load does."""
        self.reset_view()
        self.session_id = str(uuid.uuid4())
        self.thread_id = thread_id
        sio = socketio.AsyncClient(reconnection=False)
        self._sio = sio
        sio.on("*", self._on_event)
        await sio.connect(
            self.base_url,
            socketio_path="/ws/socket.io",
            headers={"Cookie": self.cookie_header, "Accept-Language": self.language},
            auth={
                "sessionId": self.session_id,
                "clientType": "webapp",
                "userEnv": "{}",
                "chatProfile": None,
                "threadId": thread_id,
            },
            transports=["websocket"],
            wait_timeout=int(HANG_CAP_SECONDS),
        )
        await sio.emit("connection_successful")
        # Ready once the conversation has opened (on_chat_start ran) or the thread came back.
        await self.wait_for(lambda: self.ran("on_chat_start", 0) or self.resumed is not None)

    async def disconnect(self) -> None:
        if self._clicks is not None:
            await self._clicks.aclose()
            self._clicks = None
        if self._sio is not None:
            await self._sio.disconnect()
            self._sio = None

    def reset_view(self) -> None:
        self.messages.clear()
        self.order.clear()
        self.actions.clear()
        self.events.clear()
        self.task_ends = 0
        self.resumed = None
        self.resume_error = None

    async def send(self, text: str) -> None:
        """Send a message and wait until the server has answered it."""
        mark = len(self.events)
        await self.send_nowait(text)
        await self.wait_for(lambda: self.ran("on_message", mark))

    def ran(self, handler: str, since: int) -> bool:
        """Whether Chainlit finished running ``handler`` (its step closed) after event ``since``."""
        return any(
            event == "update_message"
            and isinstance(data, dict)
            and data.get("type") == "run"
            and data.get("name") == handler
            for event, data in self.events[since:]
        )

    async def send_nowait(self, text: str) -> None:
        assert self._sio is not None
        message_id = str(uuid.uuid4())
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self._show(
            {"id": message_id, "type": "user_message", "name": self.username, "output": text}
        )
        self.first_token_at = None
        await self._sio.emit(
            "client_message",
            {
                "message": {
                    "id": message_id,
                    "threadId": self.thread_id or "",
                    "name": self.username,
                    "type": "user_message",
                    "output": text,
                    "createdAt": now,
                },
                "fileReferences": None,
            },
        )

    async def click(self, label: str) -> httpx.Response:
        """Press the button labelled ``label``."""
        action = self.action(label)
        return await self.call_action(action)

    async def call_action(self, action: dict[str, Any]) -> httpx.Response:
        # One connection kept for the page's clicks, as a browser keeps its connection alive.
        if self._clicks is None:
            self._clicks = self.http()
        return await self._clicks.post(
            "/project/action", json={"sessionId": self.session_id, "action": action}
        )

    # -- what the page shows --------------------------------------------------------------

    def action(self, label: str) -> dict[str, Any]:
        for action in self.actions.values():
            if action.get("label") == label:
                return action
        raise AssertionError(f"no button {label!r}; buttons: {self.labels()}")

    def labels(self) -> list[str]:
        return [str(action.get("label")) for action in self.actions.values()]

    def shown(self) -> list[Shown]:
        return [self.messages[message_id] for message_id in self.order]

    def texts(self, kind: str | None = None) -> list[str]:
        """Messages' contents (not Chainlit's own steps, such as ``run``)."""
        kinds = (kind,) if kind else ("assistant_message", "user_message")
        return [m.content for m in self.shown() if m.type in kinds]

    def last(self, kind: str = "assistant_message") -> str:
        found = self.texts(kind)
        return found[-1] if found else ""

    async def wait_for(
        self, condition: Callable[[], bool], timeout: float = HANG_CAP_SECONDS
    ) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"timed out; last messages: {self.texts()[-4:]}, buttons: {self.labels()}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    async def wait_for_text(self, fragment: str, timeout: float = HANG_CAP_SECONDS) -> None:
        await self.wait_for(lambda: any(fragment in text for text in self.texts()), timeout)

    # -- events ---------------------------------------------------------------------------

    async def _on_event(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))
        if event in ("new_message", "update_message", "stream_start"):
            self._show(data, streamed=event == "stream_start")
            if event == "stream_start":
                self.messages[data["id"]].streamed_text = data.get("output", "")
            if event == "stream_start" and self.first_token_at is None:
                self.first_token_at = time.monotonic()
        elif event == "stream_token":
            shown = self.messages.get(data["id"])
            if shown is not None:
                shown.content = (
                    data["token"] if data.get("isSequence") else shown.content + data["token"]
                )
                shown.streamed_text = shown.content
        elif event == "delete_message":
            if data["id"] in self.messages:
                del self.messages[data["id"]]
                self.order.remove(data["id"])
        elif event == "action":
            self.actions[data["id"]] = data
        elif event == "remove_action":
            self.actions.pop(data["id"], None)
        elif event == "task_end":
            self.task_ends += 1
        elif event == "first_interaction":
            self.thread_id = data.get("thread_id")
        elif event == "resume_thread":
            self.resumed = data
            self.thread_id = data["id"]
            for step in data.get("steps", []):
                self._show(step)
        elif event == "resume_thread_error":
            self.resume_error = str(data)
        self._changed.set()

    def _show(self, step: dict[str, Any], streamed: bool = False) -> None:
        message_id = step["id"]
        if message_id not in self.messages:
            self.order.append(message_id)
            self.messages[message_id] = Shown(
                id=message_id,
                type=step.get("type", ""),
                author=step.get("name", ""),
                content=step.get("output", ""),
                streamed=streamed,
            )
        else:
            shown = self.messages[message_id]
            shown.content = step.get("output", shown.content)
            shown.streamed = shown.streamed or streamed
