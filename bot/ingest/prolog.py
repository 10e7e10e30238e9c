"""What comes before a document's root element: the DOCTYPE screen and a sniff of the document kind.

feedparser expands entities declared in a DOCTYPE in its loose fallback parser (a 110 KB document
grows to gigabytes) and hands the DOCTYPE to expat otherwise, so entity declarations and external
DTDs are refused here, on the UTF-8 text feedparser will itself see, before it sees it. Screening
the decoded text rather than raw bytes matters: a document declared as UTF-7 or UTF-16 hides
`<!ENTITY` from a byte scan. The rules follow defusedxml (no entities, no external references);
harmless DOCTYPEs (`<!DOCTYPE rss>`, the RSS 0.91 Netscape DTD, HTML pages) are cut out instead.
Runs of blank lines before the root are squeezed, for feedparser's sake (see
`_collapse_blank_lines`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.core.errors import ParseError

DocumentKind = Literal["empty", "xml", "html", "json", "text"]

NETSCAPE_RSS091 = b"-//netscape communications//dtd rss 0.91//en"
HTML_ROOTS = frozenset({b"html", b"head", b"body"})
_WS = b" \t\r\n\x0c"
_ENTITY = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<\w")  # where feedparser's own DOCTYPE handling stops looking
_NAME = re.compile(rb"[^\s\[\]>/\"']+")
_NAME_START = re.compile(rb"<[A-Za-z_:\x80-\xff]")
_WS_RUN = re.compile(rb"[ \t\r\n\x0c]+")
_SUBSET_TOKEN = re.compile(rb"[\"'\]]|<!--")

ENTITIES_REFUSED = "refused: document declares XML entities (possible entity-expansion attack)"


@dataclass(frozen=True, slots=True)
class Doctype:
    """One parsed `<!DOCTYPE ...>` declaration; offsets are byte positions in the document."""

    start: int
    end: int
    name: bytes
    public_id: bytes | None
    system_id: bytes | None
    subset: bytes | None


@dataclass(frozen=True, slots=True)
class Prolog:
    """A screened document: the bytes to parse, what kind of document it is and its root name."""

    data: bytes
    kind: DocumentKind
    root: str | None = None
    opening: str = ""  # the first characters after the prolog, to quote in error messages
    lines_removed: int = 0  # line breaks taken out of the prolog


def _skip_ws(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in _WS:
        pos += 1
    return pos


def _literal(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """A quoted literal at `pos` (after whitespace): its content and the position after it."""
    pos = _skip_ws(data, pos)
    if pos >= len(data) or data[pos] not in b"\"'":
        return None
    end = data.find(data[pos : pos + 1], pos + 1)
    if end < 0:
        raise ParseError("truncated or malformed XML: unterminated literal in <!DOCTYPE>")
    return data[pos + 1 : end], end + 1


def read_doctype(data: bytes, start: int) -> Doctype:
    """Parse the DOCTYPE declaration starting at `start` (which points at `<!DOCTYPE`)."""
    pos = _skip_ws(data, start + len(b"<!DOCTYPE"))
    match = _NAME.match(data, pos)
    name = match.group() if match else b""
    pos = match.end() if match else pos
    public_id = system_id = subset = None
    after = _skip_ws(data, pos)
    keyword = data[after : after + 6].upper()
    if keyword in (b"PUBLIC", b"SYSTEM"):
        pos = after + 6
        first = _literal(data, pos)
        if first is not None:
            pos = first[1]
            if keyword == b"PUBLIC":
                public_id = first[0]
                second = _literal(data, pos)
                if second is not None:
                    system_id, pos = second
            else:
                system_id = first[0]
        elif keyword == b"SYSTEM":
            system_id = b""  # malformed, still an external reference
        else:
            public_id = b""
    pos = _skip_ws(data, pos)
    if pos < len(data) and data[pos : pos + 1] == b"[":
        subset_start = pos = pos + 1
        # Jump from token to token (quotes, comments, the closing bracket): a multi-megabyte
        # subset costs a few regex searches, not a Python loop per byte.
        while True:
            token = _SUBSET_TOKEN.search(data, pos)
            if token is None:
                raise ParseError(
                    "truncated or malformed XML: unterminated <!DOCTYPE> internal subset"
                )
            if token.group() == b"]":
                pos = token.start()
                break
            closer = b"-->" if token.group() == b"<!--" else token.group()
            close = data.find(closer, token.end())
            if close < 0:
                raise ParseError(
                    "truncated or malformed XML: unterminated <!DOCTYPE> internal subset"
                )
            pos = close + len(closer)
        subset = data[subset_start:pos]
        pos = _skip_ws(data, pos + 1)
    if pos >= len(data) or data[pos : pos + 1] != b">":
        end = data.find(b">", pos)
        if end < 0:
            raise ParseError("truncated or malformed XML: unterminated <!DOCTYPE> declaration")
        pos = end
    return Doctype(start, pos + 1, name, public_id, system_id, subset)


def _judge(doctype: Doctype) -> bool:
    """True if the DOCTYPE declares an HTML page; raises ParseError if it is dangerous."""
    if doctype.subset is not None and _ENTITY.search(doctype.subset):
        raise ParseError(ENTITIES_REFUSED)
    if doctype.name.lower() == b"html":
        return True  # an HTML page: reported as such once feedparser finds no entries
    if doctype.public_id is not None or doctype.system_id is not None:
        public = b" ".join((doctype.public_id or b"").lower().split())
        if public == NETSCAPE_RSS091:
            return False  # the RSS 0.91 DTD: known, never loaded, cut out like any harmless one
        ref = doctype.system_id or doctype.public_id or b""
        shown = ref.decode("utf-8", "replace")[:120]
        raise ParseError(
            f"refused: document references an external DTD ({shown!r}) "
            "(possible external-entity attack)"
        )
    return False


def _root(data: bytes) -> tuple[DocumentKind, int, str | None]:
    """Walk past XML declaration, PIs, comments and DOCTYPEs: (kind, where it stopped, root)."""
    pos = 0
    while True:
        pos = _skip_ws(data, pos)
        if data.startswith(b"\xef\xbb\xbf", pos):
            pos += 3
            continue
        if pos >= len(data):
            return "empty", pos, None
        if data.startswith(b"<?", pos) or data.startswith(b"<!--", pos):
            closer = b"?>" if data[pos + 1] == ord("?") else b"-->"
            close = data.find(closer, pos + 2)
            if close < 0:
                return "empty", len(data), None
            pos = close + len(closer)
            continue
        if _DOCTYPE.match(data, pos):
            pos = read_doctype(data, pos).end
            continue
        if _NAME_START.match(data, pos):
            name = _NAME.match(data, pos + 1)
            root = name.group().decode("utf-8", "replace") if name else ""
            local = root.rsplit(":", 1)[-1].lower().encode()
            return ("html" if local in HTML_ROOTS else "xml"), pos, root
        if data[pos : pos + 1] in (b"{", b"["):
            return "json", pos, None
        return "text", pos, None


def _collapse_blank_lines(prolog: bytes) -> tuple[bytes, int]:
    r"""Each whitespace run holding line breaks becomes one "\n"; returns the text and how many
    line breaks were removed.

    feedparser looks for DOCTYPE and ENTITY declarations with `^\s*<!...` in MULTILINE mode over
    the prolog: every line start rescans the blank lines after it, so 20 000 blank lines cost
    seconds and a megabyte of them hours.
    """
    removed = 0

    def one_break(run: re.Match[bytes]) -> bytes:
        nonlocal removed
        breaks = run.group().count(b"\n")
        if breaks <= 1:
            return run.group()
        removed += breaks - 1
        return b"\n"

    return _WS_RUN.sub(one_break, prolog), removed


def screen(data: bytes) -> Prolog:
    """Refuse entity declarations and external DTDs; cut out harmless DOCTYPEs; sniff the kind.

    `data` must be the UTF-8 text feedparser will parse (see feedparser.encodings.convert_to_utf8).
    The prolog also loses its runs of blank lines; `Prolog.lines_removed` says how many line
    breaks went, so error line numbers can be given in the original's terms.
    """
    kind, stop, root = _root(data)
    opening = data[stop : stop + 60].decode("utf-8", "replace").strip().split("\n", 1)[0][:40]
    # feedparser collects ENTITY declarations from everything before the first `<\w`, wherever
    # that is (even inside a comment), so the screened region covers both views of the prolog.
    first = _FIRST_ELEMENT.search(data)
    region_end = max(stop, first.start() if first else len(data))
    region = data[:region_end]
    if _ENTITY.search(region):
        raise ParseError(ENTITIES_REFUSED)
    doctypes: list[Doctype] = []
    for match in _DOCTYPE.finditer(region):
        if doctypes and match.start() < doctypes[-1].end:
            continue  # "<!DOCTYPE" inside a previous declaration's literal or comment
        doctypes.append(read_doctype(data, match.start()))
    html = False
    for doctype in doctypes:
        html = _judge(doctype) or html
    if html and kind == "xml":
        kind = "html"
    cut = max([region_end, *(d.end for d in doctypes)])
    prolog, body = data[:cut], data[cut:]
    removed = 0
    for doctype in reversed(doctypes):  # back to front: earlier offsets stay valid
        removed += prolog.count(b"\n", doctype.start, doctype.end)
        prolog = prolog[: doctype.start] + prolog[doctype.end :]
    prolog, collapsed = _collapse_blank_lines(prolog)
    return Prolog(prolog + body, kind, root, opening, removed + collapsed)
