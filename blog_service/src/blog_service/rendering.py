"""Article Markdown rendered on the server to sanitised HTML, and to plain text.

Two layers, so that a gap in one is caught by the other: markdown-it-py renders with raw
HTML disabled (HTML in the source comes out escaped, and it refuses ``javascript:``-style
link targets), then nh3 (ammonia) keeps only an explicit allow-list of tags, attributes
and URL schemes.
"""

import re
from collections.abc import Iterable, Iterator
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title"}),
    "th": frozenset({"align"}),
    "td": frozenset({"align"}),
    "ol": frozenset({"start"}),
    "code": frozenset({"class"}),  # narrowed to one language-* class by _filter_attribute
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})
LINK_REL = "nofollow noopener noreferrer"
ELLIPSIS = "…"

_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_TEXT_ALIGN = re.compile(r"text-align:(left|center|right)")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
# What a browser ignores when it reads a URL: ASCII whitespace and C0 controls.
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")


def render_markdown(source: str) -> str:
    """Render user-written Markdown to HTML that is safe to embed in a page."""
    return _cleaner().clean(_parser().render(source))


def plain_text(source: str, limit: int) -> str:
    """Return the text the Markdown renders to, without markup, whitespace collapsed.

    The result is cut on a word boundary and ends with an ellipsis when longer than
    ``limit`` characters; the ellipsis counts towards the limit. It is text, not HTML:
    whoever puts it in a page or a document escapes it.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    text = " ".join(" ".join(_block_texts(_parser().parse(source))).split())
    return _truncate(text, limit)


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False})
    parser.enable(["table", "strikethrough"])
    parser.core.ruler.push("table_align", _table_align_attribute)
    return parser


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags=frozenset({"script", "style"}),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        link_rel=LINK_REL,
        url_schemes=LINK_SCHEMES,
    )


def _table_align_attribute(state: StateCore) -> None:
    # markdown-it aligns cells with a style attribute, which the sanitiser must drop;
    # the plain align attribute carries the same information without allowing CSS.
    for token in state.tokens:
        if token.type not in ("th_open", "td_open"):
            continue
        match = _TEXT_ALIGN.fullmatch(str(token.attrGet("style") or ""))
        token.attrs.pop("style", None)
        if match:
            token.attrSet("align", match.group(1))


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "code" and attribute == "class":
        classes = [name for name in value.split() if _LANGUAGE_CLASS.fullmatch(name)]
        return classes[0] if classes else None
    if tag == "img" and attribute == "src":
        # nh3 has one scheme list for every URL; images must not use mailto either.
        scheme = _url_scheme(value)
        return value if scheme is None or scheme in IMAGE_SCHEMES else None
    return value


def _url_scheme(url: str) -> str | None:
    match = _SCHEME.match(_URL_IGNORED.sub("", url).lower())
    return match.group(1) if match else None


def _block_texts(tokens: Iterable[Token]) -> Iterator[str]:
    for token in tokens:
        if token.type == "inline":
            yield "".join(_inline_texts(token.children or []))
        elif token.type in ("fence", "code_block"):
            yield token.content


def _inline_texts(tokens: Iterable[Token]) -> Iterator[str]:
    for token in tokens:
        if token.type in ("text", "code_inline"):
            yield token.content
        elif token.type in ("softbreak", "hardbreak"):
            yield " "
        elif token.type == "image":
            # An image reads as its alt text, as it does in a screen reader.
            yield from _inline_texts(token.children or [])


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    budget = limit - len(ELLIPSIS)
    # One extra character shows whether the cut lands just before a space.
    head = text[: budget + 1]
    boundary = head.rfind(" ")
    head = head[:boundary] if boundary > 0 else text[:budget]
    return head.rstrip() + ELLIPSIS
