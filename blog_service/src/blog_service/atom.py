"""Atom 1.0 (RFC 4287) feed of published articles.

The document is built with ElementTree, so every title, summary and HTML body is escaped
by the serialiser rather than by hand.
"""

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml"
GENERATOR = "blog_service"

# Characters XML 1.0 cannot carry at all, not even escaped (most C0 controls, lone
# surrogates, U+FFFE/U+FFFF); one of them in user text would make the whole feed unreadable.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class AtomEntry:
    """One published article as the feed shows it."""

    slug: str
    title: str
    summary: str
    content_html: str
    author_name: str
    published: datetime
    updated: datetime
    tags: Sequence[str]


def render_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    site_url: str,
    entries: Sequence[AtomEntry],
    updated: datetime | None = None,
) -> bytes:
    """Return the feed as UTF-8 XML with an XML declaration.

    The feed's ``updated`` is ``updated`` when given, else the newest entry's, else now.
    Every datetime must be timezone-aware; a naive one raises ``ValueError``.
    """
    for entry in entries:
        _require_aware(entry.published, f"published of {entry.slug!r}")
        _require_aware(entry.updated, f"updated of {entry.slug!r}")
    if updated is not None:
        _require_aware(updated, "feed updated")
    site_url = site_url.rstrip("/")
    host = _host(site_url)

    # Declared as a plain attribute with unprefixed names below: ElementTree's
    # default_namespace option refuses unprefixed attributes such as rel, and
    # register_namespace would change a process-wide table.
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    _text(feed, "updated", _timestamp(_feed_updated(updated, entries)))
    _link(feed, "self", self_url, ATOM_MEDIA_TYPE)
    _link(feed, "alternate", site_url, "text/html")
    _text(feed, "generator", GENERATOR)
    for entry in entries:
        feed.append(_entry(entry, site_url, host))
    buffer = io.BytesIO()
    ET.ElementTree(feed).write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue()


def _entry(entry: AtomEntry, site_url: str, host: str) -> ET.Element:
    element = ET.Element("entry")
    _text(element, "id", _tag_uri(host, entry))
    _text(element, "title", entry.title)
    _link(element, "alternate", f"{site_url}/article/{entry.slug}", "text/html")
    _text(element, "published", _timestamp(entry.published))
    _text(element, "updated", _timestamp(entry.updated))
    author = ET.SubElement(element, "author")
    _text(author, "name", entry.author_name)
    _text(element, "summary", entry.summary).set("type", "text")
    _text(element, "content", entry.content_html).set("type", "html")
    for tag in entry.tags:
        ET.SubElement(element, "category", term=_xml_safe(tag))
    return element


def _tag_uri(host: str, entry: AtomEntry) -> str:
    # RFC 4151: the id stays the same when the site moves to another URL scheme or path,
    # and the date keeps it unique should the slug ever be reused.
    day = entry.published.astimezone(UTC).date().isoformat()
    return f"tag:{host},{day}:article/{entry.slug}"


def _feed_updated(updated: datetime | None, entries: Sequence[AtomEntry]) -> datetime:
    if updated is not None:
        return updated
    if entries:
        return max(entry.updated for entry in entries)
    return datetime.now(UTC)


def _host(site_url: str) -> str:
    host = urlsplit(site_url).hostname
    if not host:
        raise ValueError(f"site_url has no host: {site_url!r}")
    return host


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


def _timestamp(value: datetime) -> str:
    # RFC 3339 in UTC with whole seconds: the form every feed reader accepts.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, name)
    element.text = _xml_safe(text)
    return element


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, "link", rel=rel, type=media_type, href=_xml_safe(href))


def _xml_safe(text: str) -> str:
    return _NOT_XML_CHAR.sub("", text)
