"""Log lines a client cannot forge: control characters in messages are shown escaped.

A request path with ``%0a`` decodes to a line break; logged as is, it would start a new,
made-up log line. :class:`EscapingFormatter` escapes C0/C1 control characters and Unicode
line separators in the message (``\\n`` becomes the two characters ``\\n``); a traceback,
added after the message, keeps its lines.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def escape_controls(text: str) -> str:
    r"""``"a\nb"`` -> ``"a\\nb"``: every control character as a Python-style escape.

    >>> escape_controls("GET /x\r\n2026 ERROR forged")
    'GET /x\\r\\n2026 ERROR forged'
    """
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


class EscapingFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose messages never span lines or carry terminal escapes."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)
