"""Atom feed: a valid RFC 4287 document whatever the article text holds."""

import re
import xml.etree.ElementTree as ET
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from blog_service.atom import AtomEntry, render_feed

NS = "{http://www.w3.org/2005/Atom}"
SITE = "https://blog.example"
SELF = "https://blog.example/api/feed.atom"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
T0 = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)


def _entry(**overrides: Any) -> AtomEntry:
    fields: dict[str, Any] = {
        "slug": "first-post",
        "title": "First post",
        "summary": "A summary.",
        "content_html": "<p>Hello</p>",
        "author_name": "Ann",
        "published": T0,
        "updated": T0 + timedelta(hours=1),
        "tags": ["python"],
    }
    return AtomEntry(**(fields | overrides))


def _render(entries: list[AtomEntry], updated: datetime | None = None) -> bytes:
    return render_feed(
        feed_id="urn:uuid:5a0c5c2e-0b47-4d6e-9d2c-1f0e2b7a9f10",
        title="Blog",
        self_url=SELF,
        site_url=SITE,
        entries=entries,
        updated=updated,
    )


def _parse(entries: list[AtomEntry], updated: datetime | None = None) -> ET.Element:
    return _root(_render(entries, updated))


def _root(document: bytes) -> ET.Element:
    return ET.fromstring(document)


def _one(parent: ET.Element, name: str) -> ET.Element:
    found = parent.findall(NS + name)
    assert len(found) == 1, f"expected one atom:{name}, found {len(found)}"
    return found[0]


def _text(parent: ET.Element, name: str) -> str:
    return _one(parent, name).text or ""


def _instant(value: str) -> datetime:
    assert RFC3339.fullmatch(value), f"not an RFC 3339 date-time: {value!r}"
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None
    return parsed


def _links(parent: ET.Element) -> dict[str, dict[str, str]]:
    return {link.attrib["rel"]: dict(link.attrib) for link in parent.findall(NS + "link")}


def test_render_feed_declares_utf8_and_atom_default_namespace() -> None:
    output = _render([_entry()])
    root = _root(output)

    assert output.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'<feed xmlns="http://www.w3.org/2005/Atom">' in output
    assert root.tag == NS + "feed"
    assert all(element.tag.startswith(NS) for element in root.iter())


def test_render_feed_includes_required_feed_elements() -> None:
    root = _parse([_entry(), _entry(slug="second", author_name="Bob")])

    assert _text(root, "id") == "urn:uuid:5a0c5c2e-0b47-4d6e-9d2c-1f0e2b7a9f10"
    assert _text(root, "title") == "Blog"
    assert _instant(_text(root, "updated")) == T0 + timedelta(hours=1)
    assert _text(root, "generator") == "blog_service"
    assert _links(root) == {
        "self": {"rel": "self", "type": "application/atom+xml", "href": SELF},
        "alternate": {"rel": "alternate", "type": "text/html", "href": SITE},
    }
    # RFC 4287 4.1.1: without a feed-level author, every entry must carry one.
    entries = root.findall(NS + "entry")
    assert root.find(NS + "author") is None
    assert [_text(_one(entry, "author"), "name") for entry in entries] == ["Ann", "Bob"]


def test_render_feed_includes_required_entry_elements() -> None:
    root = _parse([_entry()])
    entry = _one(root, "entry")

    assert _text(entry, "id") == "tag:blog.example,2024-03-04:article/first-post"
    assert _text(entry, "title") == "First post"
    assert _instant(_text(entry, "published")) == T0
    assert _instant(_text(entry, "updated")) == T0 + timedelta(hours=1)
    assert _links(entry) == {
        "alternate": {
            "rel": "alternate",
            "type": "text/html",
            "href": "https://blog.example/article/first-post",
        }
    }
    assert _one(entry, "summary").attrib == {"type": "text"}
    assert _text(entry, "summary") == "A summary."
    assert _one(entry, "content").attrib == {"type": "html"}
    assert _text(entry, "content") == "<p>Hello</p>"


def test_render_feed_writes_timestamps_in_utc_rfc3339() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    published = datetime(2024, 3, 4, 17, 45, 9, tzinfo=ist)
    root = _parse([_entry(published=published, updated=published)])
    entry = _one(root, "entry")

    assert _text(entry, "published") == "2024-03-04T12:15:09Z"
    assert _instant(_text(entry, "published")) == published
    assert _instant(_text(entry, "updated")) == published


def test_render_feed_builds_tag_id_from_host_utc_date_and_slug() -> None:
    # 01:00 on 5 March at +02:00 is still 4 March in UTC.
    published = datetime(2024, 3, 5, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    entries = [_entry(slug="my-slug", published=published), _entry(slug="other")]

    ids = [_text(e, "id") for e in _parse(entries).findall(NS + "entry")]
    again = [_text(e, "id") for e in _parse(entries).findall(NS + "entry")]

    assert ids == [
        "tag:blog.example,2024-03-04:article/my-slug",
        "tag:blog.example,2024-03-04:article/other",
    ]
    assert again == ids


def test_render_feed_preserves_entry_order() -> None:
    slugs = ["middle", "oldest", "newest"]
    entries = [_entry(slug=slug, title=slug.title()) for slug in slugs]

    rendered = _parse(entries).findall(NS + "entry")

    assert [_text(entry, "title") for entry in rendered] == ["Middle", "Oldest", "Newest"]


def test_render_feed_takes_updated_from_newest_entry() -> None:
    entries = [
        _entry(slug="a", updated=T0 + timedelta(days=1)),
        _entry(slug="b", updated=T0 + timedelta(days=3)),
        _entry(slug="c", updated=T0 + timedelta(days=2)),
    ]

    assert _instant(_text(_parse(entries), "updated")) == T0 + timedelta(days=3)


def test_render_feed_uses_given_updated() -> None:
    given = T0 + timedelta(days=10)

    root = _parse([_entry()], updated=given)

    assert _instant(_text(root, "updated")) == given


def test_render_feed_without_entries_is_valid_and_updated_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    root = _parse([])
    after = datetime.now(UTC)

    assert root.findall(NS + "entry") == []
    assert _text(root, "id")
    assert _text(root, "title") == "Blog"
    assert before <= _instant(_text(root, "updated")) <= after
    assert _links(root)["self"]["href"] == SELF


def test_render_feed_emits_one_category_per_tag() -> None:
    entries = [_entry(slug="a", tags=["python", "c++ & <rust>"]), _entry(slug="b", tags=[])]

    first, second = _parse(entries).findall(NS + "entry")

    assert [c.attrib for c in first.findall(NS + "category")] == [
        {"term": "python"},
        {"term": "c++ & <rust>"},
    ]
    assert second.findall(NS + "category") == []


@pytest.mark.parametrize(
    "text",
    [
        "Less < more & \"quoted\" 'single'",
        "<script>alert('x')</script> &amp; &lt;",
        "Crème brûlée — 日本語 🎉",
        "ends a CDATA ]]> section",
        "tabs\tand\nnewlines",
    ],
)
def test_render_feed_round_trips_special_characters(text: str) -> None:
    html = f'<p title="{text}">{text} &amp; é</p>'
    entry = _entry(title=text, summary=text, author_name=text, content_html=html, tags=[text])

    parsed = _one(_parse([entry]), "entry")

    assert _text(parsed, "title") == text
    assert _text(parsed, "summary") == text
    assert _text(_one(parsed, "author"), "name") == text
    assert _text(parsed, "content") == html
    assert _one(parsed, "category").attrib["term"] == text


def test_render_feed_drops_characters_xml_cannot_carry() -> None:
    entry = _entry(title="a\x00b\x0bc\x1fd\ufffee", content_html="<p>x\x08y</p>")

    parsed = _one(_parse([entry]), "entry")

    assert _text(parsed, "title") == "abcde"
    assert _text(parsed, "content") == "<p>xy</p>"


@pytest.mark.parametrize(
    ("entry", "updated"),
    [
        pytest.param(_entry(published=datetime(2024, 1, 1)), None, id="entry-published"),
        pytest.param(_entry(updated=datetime(2024, 1, 1)), None, id="entry-updated"),
        pytest.param(_entry(), datetime(2024, 1, 1), id="feed-updated"),
    ],
)
def test_render_feed_rejects_naive_datetime(entry: AtomEntry, updated: datetime | None) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _render([entry], updated=updated)


def test_render_feed_rejects_site_url_without_host() -> None:
    with pytest.raises(ValueError, match="no host"):
        render_feed(feed_id="urn:x", title="t", self_url=SELF, site_url="/relative", entries=[])


def test_atom_entry_is_immutable() -> None:
    entry = _entry()

    with pytest.raises(FrozenInstanceError):
        entry.title = "changed"  # type: ignore[misc]
