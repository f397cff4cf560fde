"""Pseudonyms: random, human-friendly, and derived from nothing about the person."""

from __future__ import annotations

import secrets

PREFIX = "Participant-"
LENGTH = 4
# Crockford's base32: no I, L, O or U, so a pseudonym read aloud or copied by hand stays exact.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_pseudonym() -> str:
    """A fresh random pseudonym such as ``Participant-7KQ2`` (uniqueness is the store's job)."""
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
