"""The one retry helper, for the answers botocore does not retry.

botocore's ``standard`` mode retries network failures, throttling and 5xx
(:mod:`~facedetect.adapters.aws.clients`). Some answers are successes or client errors to
botocore that still ask to try again: the unprocessed keys or items of a batch call
(``BatchGetItem``, ``BatchWriteItem``), a ``TransactionConflict`` with another transaction
on the same items, S3's ``409 ConditionalRequestConflict`` for concurrent conditional writes.
The adapters retry those, and only those, with :func:`attempts`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

#: Attempts in all for unprocessed batch items and keys (about 6 s of waiting at most).
UNPROCESSED_ATTEMPTS = 8
#: Attempts in all while another writer holds the same item (transactions, conditional writes).
CONFLICT_ATTEMPTS = 3
#: The first wait; each next one doubles.
FIRST_WAIT_S = 0.05


def attempts(count: int, *, first_wait_s: float = FIRST_WAIT_S) -> Iterator[int]:
    """Attempt numbers ``0 .. count-1``, waiting ``first_wait_s * 2**n`` before attempt ``n + 1``.

    The caller ``break``\\ s (or returns) when an attempt succeeds; running out of attempts ends
    the loop normally, so a ``for ... else`` can raise. No wait comes before the first attempt
    or after the last.

    Examples
    --------
    >>> for attempt in attempts(3, first_wait_s=0):
    ...     if attempt == 1:
    ...         break
    >>> attempt
    1
    """
    for attempt in range(count):
        if attempt:
            time.sleep(first_wait_s * 2 ** (attempt - 1))
        yield attempt
