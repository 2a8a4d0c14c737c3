"""Text bound for a terminal: control characters shown as escapes, so a file name or a server's message can
neither break a one-line error in two nor drive the terminal (retitle it, clear it, ring it)."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def safe(text: str) -> str:
    """`text` with every control character (but tab) escaped: ESC as \\x1b, a line break as \\n."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                           else f"\\u{ord(m.group()):04x}"), text)
