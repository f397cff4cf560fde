"""Refuse any connection that would leave this machine.

Installed for the whole test session by ``conftest.py``: a test that tries to reach a
non-loopback address fails with :class:`NetworkAccessError` before a packet is sent. Tests can
also block *all* networking (loopback included) with :func:`blocked_network`.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_block_everything = False


class NetworkAccessError(RuntimeError):
    pass


def _is_loopback(host: str) -> bool:
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = str(address[0])
    if _block_everything or not _is_loopback(host):
        raise NetworkAccessError(f"test tried to connect to {host}: tests stay on loopback")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else str(host or "")
    if _block_everything or not _is_loopback(name):
        raise NetworkAccessError(f"test tried to resolve {name!r}: tests stay on loopback")
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo


@contextmanager
def blocked_network() -> Iterator[None]:
    """No connection at all, not even to loopback, inside the block."""
    global _block_everything
    _block_everything = True
    try:
        yield
    finally:
        _block_everything = False
