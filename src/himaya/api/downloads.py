"""A file handed to a browser as a download, never shown in its window: `Content-Disposition:
attachment` with the name in UTF-8 (RFC 6266, its `filename*` as RFC 5987 writes it, so that an
Arabic name arrives whole) and an ASCII `filename` for the clients that read only that; no type
sniffing, and a content-security policy that lets the file load nothing and run nothing, should a
browser open it anyway. The request guard sends the same two headers on every answer: these hold
for the download even where it does not."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath
from urllib.parse import quote

from himaya.api.guard import API_POLICY

# RFC 5987 attr-char beside letters and digits: what `filename*` may hold unescaped.
_ATTR_CHARS = "!#$&+-.^_`|~"
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 !#$&'()+,.;=@\[\]^_`{}~-]+")


def ascii_name(filename: str, *, default: str = "file") -> str:
    """The name in plain ASCII for the `filename` fallback: accents dropped, any other run of
    characters (Arabic letters, quotes, backslashes, controls) one underscore; the ending kept.

    >>> ascii_name("بطاقة الإعاقة.pdf"), ascii_name('card "2".pdf'), ascii_name("Résumé.png")
    ('file.pdf', 'card _2.pdf', 'Resume.png')
    """
    suffix = PurePath(filename).suffix
    if not suffix.isascii() or _NOT_PLAIN.search(suffix):
        suffix = ""
    stem = filename[: -len(suffix)] if suffix else filename
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = _NOT_PLAIN.sub("_", folded if folded.strip() else stem).strip(" ._")
    return f"{plain or default}{suffix}"


def content_disposition(filename: str, *, default: str = "file") -> str:
    """`attachment` with the name twice: ASCII for old clients, UTF-8 percent-encoded for the others.

    >>> content_disposition("بطاقة.pdf")
    'attachment; filename="file.pdf"; filename*=UTF-8\\'\\'%D8%A8%D8%B7%D8%A7%D9%82%D8%A9.pdf'
    """
    encoded = quote(filename, safe=_ATTR_CHARS)
    return f"attachment; filename=\"{ascii_name(filename, default=default)}\"; filename*=UTF-8''{encoded}"


def download_headers(filename: str, *, default: str = "file") -> dict[str, str]:
    """The headers of a download (with the response's media type, sniffed when the file was taken in)."""
    return {
        "Content-Disposition": content_disposition(filename, default=default),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": API_POLICY.decode(),
    }
