"""Errors of the national-side library: one exception type with stable codes."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """Stable codes of :class:`NationalError` (documented in national/python/README.md)."""

    CANONICAL = "KZN_ERR_CANONICAL"
    """A value that canonical JSON (RFC 8785, as the contract uses it) cannot encode."""
    KEY = "KZN_ERR_KEY"
    """A private or public key that cannot be read, or a trusted keys file that is not valid."""
    SIGNATURE = "KZN_ERR_SIGNATURE"
    """A signature that does not verify, or a decision without signature or keyId."""
    DECISION = "KZN_ERR_DECISION"
    """A decision this library refuses to send: invalid by the contract's schema or rules."""
    TOPIC = "KZN_ERR_TOPIC"
    """A topic that is not one of the contract's, or an id that cannot be a topic level."""
    INBOUND = "KZN_ERR_INBOUND"
    """A robot message that is rejected (see :class:`kizuna_national.inbound.InboundReject`)."""
    CONNECT = "KZN_ERR_CONNECT"
    """The broker could not be reached or refused the connection."""
    TIMEOUT = "KZN_ERR_TIMEOUT"
    """Something awaited did not happen in time."""


class NationalError(Exception):
    """An error of the library, with a stable ``code`` and a message that says what to fix."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.detail = message
