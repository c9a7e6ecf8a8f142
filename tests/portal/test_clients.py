"""AuthClient and BlogClient on the real services: answers parsed, errors a person can read."""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Iterator

import pytest

from devstack._proc import free_port
from portal.clients import ApiError, AuthClient, BlogClient, User
from portal.clients.base import TIMEOUT, UNAVAILABLE
from tests.e2e.stack import Services

PASSWORD = "a long passphrase for tests"
_n = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10**9}{next(_n)}"


@pytest.fixture
def auth(services: Services) -> AuthClient:
    return AuthClient(services.auth_url, timeout=10)


@pytest.fixture
def blog(services: Services) -> BlogClient:
    return BlogClient(services.blog_url, timeout=10)


async def new_user(auth: AuthClient) -> User:
    name = unique("client")
    return await auth.register(name, f"{name}@example.org", PASSWORD)


async def test_register_login_and_profile_round_trip(auth: AuthClient) -> None:
    user = await new_user(auth)
    assert user.token.count(".") == 2
    assert user.refresh_token
    again = await auth.login(user.email, PASSWORD)
    assert again.username == user.username
    me = await auth.current_user(again.token)
    assert (me.email, me.role) == (user.email, "user")
    updated = await auth.update_user(again.token, {"bio": "Hello there"})
    assert updated.bio == "Hello there"
    other = await new_user(auth)
    profile = await auth.follow(user.username, other.token)
    assert profile.following is True
    assert (await auth.profile(user.username, other.token)).bio == "Hello there"
    assert (await auth.follow(user.username, other.token, follow=False)).following is False


async def test_register_taken_username_gives_field_message(auth: AuthClient) -> None:
    user = await new_user(auth)
    with pytest.raises(ApiError) as caught:
        await auth.register(user.username, f"{unique('x')}@example.org", PASSWORD)
    assert caught.value.status == 409
    assert caught.value.message == "Please correct the highlighted fields."
    assert caught.value.fields["username"].startswith("username ")
    assert "taken" in caught.value.fields["username"]


async def test_wrong_password_is_refused_with_a_readable_message(auth: AuthClient) -> None:
    user = await new_user(auth)
    with pytest.raises(ApiError) as caught:
        await auth.login(user.email, "not the password at all")
    assert caught.value.status in (401, 422)
    assert caught.value.message
    assert "{" not in caught.value.message


async def test_refresh_rotates_and_logout_revokes(auth: AuthClient) -> None:
    user = await new_user(auth)
    fresh = await auth.refresh(user.refresh_token)
    assert fresh.refresh_token != user.refresh_token
    assert fresh.username == user.username
    await auth.logout(fresh.token, fresh.refresh_token)
    with pytest.raises(ApiError) as caught:
        await auth.refresh(fresh.refresh_token)
    assert caught.value.status == 401
    assert caught.value.message == "Your session has ended. Please sign in again."
    assert "revoked" in caught.value.fields["refreshToken"]


async def test_articles_drafts_edits_comments_and_favorites(
    auth: AuthClient, blog: BlogClient
) -> None:
    writer = await new_user(auth)
    reader = await new_user(auth)
    tag = unique("tag")
    draft = await blog.create(
        writer.token,
        {
            "title": unique("Draft "),
            "description": "d",
            "body": "Hi *there*",
            "tagList": [tag],
            "status": "draft",
        },
    )
    assert draft.status == "draft"
    assert "<em>there</em>" in draft.body_html
    mine = await blog.articles(token=writer.token, status="draft")
    assert draft.slug in [a.slug for a in mine.articles]
    assert (await blog.articles(token=reader.token, tag=tag)).total == 0
    with pytest.raises(ApiError) as hidden:
        await blog.article(draft.slug, reader.token)
    assert hidden.value.status == 404

    opened = await blog.article(draft.slug, writer.token)
    assert opened.etag
    published = await blog.update(
        writer.token, draft.slug, {"status": "published"}, etag=opened.etag
    )
    assert published.status == "published"
    with pytest.raises(ApiError) as stale:
        await blog.update(writer.token, draft.slug, {"title": "Too late"}, etag=opened.etag)
    assert stale.value.status == 412
    assert "changed since you opened it" in stale.value.message
    with pytest.raises(ApiError) as forbidden:
        await blog.update(reader.token, draft.slug, {"title": "Mine now"})
    assert forbidden.value.status == 403

    listed = await blog.articles(tag=tag)
    assert [a.slug for a in listed.articles] == [draft.slug]
    assert listed.articles[0].author.username == writer.username
    assert tag in await blog.tags()

    liked = await blog.favorite(reader.token, draft.slug)
    assert (liked.favorited, liked.favorites_count) == (True, 1)
    comment = await blog.add_comment(reader.token, draft.slug, "Nice")
    assert [c.body for c in await blog.comments(draft.slug)] == ["Nice"]
    await blog.delete_comment(reader.token, draft.slug, comment.id)
    assert await blog.comments(draft.slug) == []
    await blog.delete(writer.token, draft.slug)
    with pytest.raises(ApiError) as gone:
        await blog.article(draft.slug)
    assert gone.value.message.startswith("That page does not exist")


async def test_search_finds_by_words(auth: AuthClient, blog: BlogClient) -> None:
    writer = await new_user(auth)
    word = unique("quokka")
    made = await blog.create(
        writer.token, {"title": f"On the {word}", "description": "d", "body": "b"}
    )
    found = await blog.articles(q=word)
    assert [a.slug for a in found.articles] == [made.slug]


async def test_blank_fields_come_back_per_field(auth: AuthClient, blog: BlogClient) -> None:
    writer = await new_user(auth)
    with pytest.raises(ApiError) as caught:
        await blog.create(writer.token, {"title": "T", "description": "", "body": ""})
    assert set(caught.value.fields) >= {"description", "body"}


async def test_nothing_listening_is_unavailable() -> None:
    client = BlogClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ApiError) as caught:
        await client.tags()
    assert (caught.value.status, caught.value.message) == (503, UNAVAILABLE)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


async def test_a_service_that_does_not_answer_times_out(silent_server: int) -> None:
    client = BlogClient(f"http://127.0.0.1:{silent_server}", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        await client.tags()
    assert (caught.value.status, caught.value.message) == (504, TIMEOUT)
    assert time.monotonic() - started < 3


async def test_feed_shows_followed_authors_articles(auth: AuthClient, blog: BlogClient) -> None:
    writer = await new_user(auth)
    reader = await new_user(auth)
    await auth.follow(writer.username, reader.token)
    direct = await blog.create(
        writer.token, {"title": unique("Feed "), "description": "d", "body": "b"}
    )
    drafted = await blog.create(
        writer.token,
        {"title": unique("Later "), "description": "d", "body": "b", "status": "draft"},
    )
    await blog.update(writer.token, drafted.slug, {"status": "published"})
    feed = await blog.feed(reader.token)
    assert {direct.slug, drafted.slug} <= {a.slug for a in feed.articles}
