"""One redaction function for everything that leaves a tool or reaches a transcript or log."""

from __future__ import annotations

import re

MASK = "[REDACTED]"

# Password in a URL's userinfo: scheme://user:PASSWORD@host or scheme://:PASSWORD@host
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)(?P<secret>[^\s@/]+)(?=@)")


def redact(text: str) -> str:
    """Mask secret values in text, keeping enough around them to show a value is configured."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
