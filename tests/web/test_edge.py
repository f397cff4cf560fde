"""The edge of the web app (issue 21): whose forwarded headers are believed, which origins the
chat's socket accepts."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.config import load_settings
from assistant.web.sessions import client_of, only_own_origin, trusted_proxies

pytestmark = pytest.mark.slow


def _scope(peer: str, **headers: str) -> dict[str, Any]:
    return {
        "type": "http",
        "scheme": "http",
        "client": (peer, 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }


def test_forwarded_headers_are_believed_only_from_a_trusted_proxy() -> None:
    proxies = trusted_proxies(load_settings(trusted_proxies="10.0.0.1, 192.168.0.0/24"))
    forwarded = {"X-Forwarded-For": "203.0.113.7, 192.168.0.4", "X-Forwarded-Proto": "https"}
    assert client_of(_scope("10.0.0.1", **forwarded), proxies) == ("203.0.113.7", True)
    # A client that sends the headers itself is not a proxy: its own address, plain HTTP.
    assert client_of(_scope("198.51.100.9", **forwarded), proxies) == ("198.51.100.9", False)
    # A client that forges X-Forwarded-For through the proxy is the right-most stranger.
    forged = {"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}
    assert client_of(_scope("10.0.0.1", **forged), proxies) == ("203.0.113.7", False)
    assert client_of(_scope("10.0.0.1", **forwarded), ()) == ("10.0.0.1", False)


def test_the_socket_accepts_the_public_urls_origin_only() -> None:
    allowed = only_own_origin(load_settings(public_url="https://terrain.example.org/"))
    environ = {"HTTP_HOST": "terrain.example.org", "wsgi.url_scheme": "http"}
    assert allowed("https://terrain.example.org", environ)
    assert allowed("https://TERRAIN.example.org", environ)
    assert not allowed("http://terrain.example.org", environ)
    assert not allowed("https://evil.example", environ)
    assert not allowed("https://terrain.example.org.evil.example", environ)


def test_without_a_public_url_the_socket_accepts_the_requests_own_address() -> None:
    allowed = only_own_origin(load_settings())
    environ = {"HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http"}
    assert allowed("http://127.0.0.1:8000", environ)
    assert not allowed("http://evil.example", environ)
    assert not allowed("https://127.0.0.1:8000", environ)
