"""Which journaled parts are trusted on resume, and which server parts may be adopted."""

from __future__ import annotations

import base64
import hashlib

import pytest

from genoflow_desktop.core.transfer.journal import JournalPart
from genoflow_desktop.core.transfer.reader import Decision, SourceChanged
from genoflow_desktop.core.transfer.reconcile import decider, reconcile
from genoflow_desktop.core.transfer.remote import ServerPart


def _b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_the_journal_is_trusted_only_where_the_server_agrees() -> None:
    journaled = {
        1: JournalPart(1, 10, '"e1"', "c1"),
        2: JournalPart(2, 10, '"e2"', "c2"),  # the server has another ETag for it
        3: JournalPart(3, 10, '"e3"', "c3"),  # the server lost it
    }
    server = {
        1: ServerPart(1, 10, '"e1"', None),
        2: ServerPart(2, 10, '"other"', None),
        4: ServerPart(4, 10, '"e4"', None),  # acknowledged, never journaled (crash)
        9: ServerPart(9, 10, '"e9"', None),  # beyond the plan: ignored
    }
    result = reconcile(journaled, server, part_count=5)
    assert list(result.kept) == [1]
    assert result.stale == [2, 3]
    assert sorted(result.server_only) == [2, 4]


def test_decisions_per_part() -> None:
    data = bytearray(b"x" * 10)
    digest = hashlib.sha256(data).digest()
    md5 = hashlib.md5(data).hexdigest()
    kept = {1: JournalPart(1, 10, '"e1"', _b64(data))}
    server_only = {
        2: ServerPart(2, 10, f'"{md5}"', None),  # plain-MD5 ETag: provable
        3: ServerPart(3, 10, '"abc-2"', None),  # an ETag that is not an MD5: resend
        4: ServerPart(4, 10, '"x"', _b64(data)),  # the server's SHA-256 matches
        5: ServerPart(5, 10, '"x"', _b64(b"other")),  # different bytes: resend
    }
    decide = decider("f.bam", kept, server_only)
    assert decide(1, 10, digest, data) == (Decision.SKIP, None)
    assert decide(2, 10, digest, data) == (Decision.ADOPT, f'"{md5}"')
    assert decide(3, 10, digest, data) == (Decision.SEND, None)
    assert decide(4, 10, digest, data) == (Decision.ADOPT, '"x"')
    assert decide(5, 10, digest, data) == (Decision.SEND, None)
    assert decide(6, 10, digest, data) == (Decision.SEND, None)
    with pytest.raises(SourceChanged, match="part 1 is not what was sent"):
        decide(1, 10, hashlib.sha256(b"changed").digest(), bytearray(b"changed"))
