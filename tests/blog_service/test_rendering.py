"""Markdown rendering: ordinary Markdown survives, no script can get through."""

import re
from html.parser import HTMLParser

import pytest

from blog_service.rendering import plain_text, render_markdown

# The expectations are written out here rather than imported, so a loosened allow-list in
# the module under test cannot loosen the test with it.
SAFE_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
SAFE_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "code": {"class"},
}
URL_SCHEMES = {("a", "href"): {"http", "https", "mailto"}, ("img", "src"): {"http", "https"}}
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "form", "details"}
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")


class _ElementCollector(HTMLParser):
    """Every start tag in a fragment with its attributes, values unescaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collector = _ElementCollector()
    collector.feed(html)
    collector.close()
    return collector.elements


def _assert_safe(html: str) -> None:
    for tag, attrs in _elements(html):
        assert tag not in DANGEROUS_TAGS, f"<{tag}> survived in {html!r}"
        assert tag in SAFE_TAGS, f"<{tag}> is not allowed in {html!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"{name} on <{tag}> survived in {html!r}"
            assert name != "style", f"style on <{tag}> survived in {html!r}"
            assert name in SAFE_ATTRIBUTES.get(tag, set()), f"{name} on <{tag}> in {html!r}"
            schemes = URL_SCHEMES.get((tag, name))
            if schemes is not None:
                # A browser ignores whitespace and control characters inside the scheme.
                url = _URL_IGNORED.sub("", value or "").lower()
                match = _SCHEME.match(url)
                assert match is None or match.group(1) in schemes, f"{value!r} in {html!r}"


XSS_PAYLOADS = [
    pytest.param("<script>alert(1)</script>", id="script-tag"),
    pytest.param("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", id="script-src-upper"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("[x](javascript:alert(1))", id="link-javascript"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="link-javascript-mixed-case"),
    pytest.param("[x](java&#x09;script:alert(1))", id="link-javascript-tab-entity"),
    pytest.param("[x](&#106;avascript:alert(1))", id="link-javascript-decimal-entity"),
    pytest.param("[x](javascript&colon;alert(1))", id="link-javascript-colon-entity"),
    pytest.param("[x](\x01javascript:alert(1))", id="link-javascript-control-char"),
    pytest.param("[x](<javascript:alert(1)>)", id="link-javascript-pointy"),
    pytest.param("[x](javascript://%0aalert(1))", id="link-javascript-comment-newline"),
    pytest.param("[x](vbscript:msgbox(1))", id="link-vbscript"),
    pytest.param("[x](file:///etc/passwd)", id="link-file"),
    pytest.param(
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="link-data-html"
    ),
    # markdown-it lets data:image/png through on its own; the sanitiser must stop it.
    pytest.param("[x](data:image/png;base64,iVBORw0KGgo=)", id="link-data-png"),
    pytest.param("![x](data:image/png;base64,iVBORw0KGgo=)", id="image-data-png"),
    pytest.param(
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", id="image-data-svg"
    ),
    pytest.param("![x](mailto:a@example.com)", id="image-mailto"),
    pytest.param("<javascript:alert(1)>", id="autolink-javascript"),
    pytest.param("[x][ref]\n\n[ref]: javascript:alert(1)", id="reference-javascript"),
    pytest.param('<a href="javascript:alert(1)">x</a>', id="raw-anchor-javascript"),
    pytest.param('<a href="&#x6A;avascript:alert(1)">x</a>', id="raw-anchor-entity"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param('<iframe src="javascript:alert(1)"></iframe>', id="iframe"),
    pytest.param("<style>body{background:url(javascript:alert(1))}</style>", id="style"),
    pytest.param('<object data="javascript:alert(1)"></object>', id="object"),
    pytest.param('<embed src="javascript:alert(1)">', id="embed"),
    pytest.param("<form action=javascript:alert(1)><button>x</button></form>", id="form"),
    pytest.param("<details open ontoggle=alert(1)>", id="details-ontoggle"),
    pytest.param('<p style="background:url(javascript:alert(1))">x</p>', id="style-attr"),
    pytest.param("<div><img src=x onerror=alert(1)", id="unclosed-tag"),
    pytest.param("<<script>script>alert(1)<</script>/script>", id="nested-script"),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="mxss"),
    pytest.param("<!--<script>alert(1)//-->", id="comment"),
    pytest.param("*<b onmouseover=alert(1)>x</b>*", id="inline-html-in-emphasis"),
    pytest.param("[<img src=x onerror=alert(1)>](https://ok.example)", id="html-in-link-text"),
    pytest.param(
        '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")', id="link-title-breakout"
    ),
    pytest.param(
        '![x](https://ok.example/a.png "\\" onerror=\\"alert(1)")', id="image-title-breakout"
    ),
    pytest.param('```" onclick="alert(1)\nx\n```', id="fence-info-breakout"),
    pytest.param("| a |\n|---|\n| <script>alert(1)</script> |", id="table-cell-script"),
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_markdown_neutralises_xss_payload(payload: str) -> None:
    _assert_safe(render_markdown(payload))


@pytest.mark.parametrize(
    "unsafe",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<p style="color:red">x</p>',
        '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
        '<img src="mailto:a@example.com">',
        "<details open>x</details>",
    ],
)
def test_assert_safe_rejects_unsafe_html(unsafe: str) -> None:
    # The payload test above is only worth something if its check can fail.
    with pytest.raises(AssertionError):
        _assert_safe(unsafe)


def test_render_markdown_renders_headings() -> None:
    assert render_markdown("# One\n\n### Three") == "<h1>One</h1>\n<h3>Three</h3>\n"


def test_render_markdown_renders_emphasis_and_strikethrough() -> None:
    html = render_markdown("*em* **strong** ~~gone~~")

    assert html == "<p><em>em</em> <strong>strong</strong> <s>gone</s></p>\n"


def test_render_markdown_renders_lists_with_start() -> None:
    html = render_markdown("- a\n- b\n\n3. c\n4. d")

    assert (
        html
        == '<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>\n'
    )


def test_render_markdown_keeps_language_class_on_fenced_code() -> None:
    html = render_markdown("```python\nif a < b:\n    pass\n```")

    assert html == '<pre><code class="language-python">if a &lt; b:\n    pass\n</code></pre>\n'


def test_render_markdown_drops_code_class_with_unsafe_language() -> None:
    html = render_markdown('```py" x="y\nprint(1)\n```')

    assert _elements(html) == [("pre", []), ("code", [])]


def test_render_markdown_renders_table_with_alignment() -> None:
    html = render_markdown("| a | b | c |\n|:--|:-:|---|\n| 1 | 2 | 3 |")

    cells = [(tag, attrs) for tag, attrs in _elements(html) if tag in ("th", "td")]
    assert cells == [
        ("th", [("align", "left")]),
        ("th", [("align", "center")]),
        ("th", []),
        ("td", [("align", "left")]),
        ("td", [("align", "center")]),
        ("td", []),
    ]
    assert [tag for tag, _ in _elements(html)][:3] == ["table", "thead", "tr"]


def test_render_markdown_adds_rel_nofollow_to_links() -> None:
    html = render_markdown('[site](https://example.com/a?b=1&c=2 "Title")')

    assert _elements(html) == [
        ("p", []),
        (
            "a",
            [
                ("href", "https://example.com/a?b=1&c=2"),
                ("title", "Title"),
                ("rel", "nofollow noopener noreferrer"),
            ],
        ),
    ]


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("<https://example.com/x>", "https://example.com/x"),
        ("[mail](mailto:someone@example.com)", "mailto:someone@example.com"),
        ("[rel](/article/other)", "/article/other"),
    ],
)
def test_render_markdown_keeps_allowed_link_target(source: str, href: str) -> None:
    anchors = [dict(attrs) for tag, attrs in _elements(render_markdown(source)) if tag == "a"]

    assert anchors == [{"href": href, "rel": "nofollow noopener noreferrer"}]


def test_render_markdown_keeps_http_image() -> None:
    html = render_markdown('![a cat](https://img.example/cat.png "Cat")')

    assert _elements(html) == [
        ("p", []),
        ("img", [("src", "https://img.example/cat.png"), ("alt", "a cat"), ("title", "Cat")]),
    ]


def test_render_markdown_drops_image_source_with_mailto_scheme() -> None:
    html = render_markdown("![x](mailto:a@example.com)")

    assert _elements(html) == [("p", []), ("img", [("alt", "x")])]


def test_render_markdown_escapes_raw_html_as_text() -> None:
    html = render_markdown('Hi <b onclick="x()">there</b>')

    assert html == '<p>Hi &lt;b onclick="x()"&gt;there&lt;/b&gt;</p>\n'


def test_plain_text_strips_markup_and_collapses_whitespace() -> None:
    source = "# Title\n\nSome *soft*\nwrapped   text.\n\n- one\n- two\n\n```\ncode  here\n```"

    assert plain_text(source, 200) == "Title Some soft wrapped text. one two code here"


def test_plain_text_keeps_code_spans_image_alt_and_table_cells() -> None:
    source = "Use `a < b` ![a diagram](d.png)\n\n| h1 | h2 |\n|----|----|\n| c1 | c2 |"

    assert plain_text(source, 200) == "Use a < b a diagram h1 h2 c1 c2"


def test_plain_text_returns_entities_and_raw_html_as_text() -> None:
    assert plain_text("Tom &amp; <b>Jerry</b>", 200) == "Tom & <b>Jerry</b>"


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (15, "hello world foo"),
        (12, "hello world…"),
        (11, "hello…"),
        (6, "hello…"),
        (5, "hell…"),
        (1, "…"),
    ],
)
def test_plain_text_cuts_on_word_boundary_when_over_limit(limit: int, expected: str) -> None:
    result = plain_text("hello   world\nfoo", limit)

    assert result == expected
    assert len(result) <= limit


@pytest.mark.parametrize("limit", [0, -1])
def test_plain_text_rejects_limit_below_one(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        plain_text("text", limit)
