"""RealWorld profiles and follows, and the internal batch lookup for blog_service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import jwt

Headers = Callable[..., dict[str, str]]


def _user_id(user: dict[str, Any]) -> int:
    return int(jwt.decode(user["token"], options={"verify_signature": False})["sub"])


async def test_get_profile_anonymously(client: httpx.AsyncClient, register: Any) -> None:
    user = await register(username="celeb")
    response = await client.get("/api/profiles/celeb")
    assert response.status_code == 200
    assert response.json() == {
        "profile": {"username": "celeb", "bio": None, "image": None, "following": False}
    }
    assert user["username"] == "celeb"


async def test_get_unknown_profile_returns_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/profiles/nobody")
    assert response.status_code == 404
    assert response.json() == {"errors": {"profile": ["not found"]}}


async def test_follow_then_unfollow(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    fan, star = await register(), await register()
    headers = auth_header(fan["token"])
    followed = await client.post(f"/api/profiles/{star['username']}/follow", headers=headers)
    assert followed.status_code == 200
    assert followed.json()["profile"]["following"] is True
    seen = await client.get(f"/api/profiles/{star['username']}", headers=headers)
    assert seen.json()["profile"]["following"] is True
    again = await client.post(f"/api/profiles/{star['username']}/follow", headers=headers)
    assert again.status_code == 200  # idempotent
    unfollowed = await client.delete(f"/api/profiles/{star['username']}/follow", headers=headers)
    assert unfollowed.json()["profile"]["following"] is False
    seen = await client.get(f"/api/profiles/{star['username']}", headers=headers)
    assert seen.json()["profile"]["following"] is False


async def test_follow_requires_a_token(client: httpx.AsyncClient, register: Any) -> None:
    star = await register()
    response = await client.post(f"/api/profiles/{star['username']}/follow")
    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}


async def test_follow_unknown_user_returns_404(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    fan = await register()
    response = await client.post("/api/profiles/ghost/follow", headers=auth_header(fan["token"]))
    assert response.status_code == 404


async def test_follow_yourself_returns_422(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    me = await register()
    response = await client.post(
        f"/api/profiles/{me['username']}/follow", headers=auth_header(me["token"])
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {"profile": ["cannot follow yourself"]}}


async def test_profile_lookup_is_case_insensitive(client: httpx.AsyncClient, register: Any) -> None:
    await register(username="MixedCase")
    response = await client.get("/api/profiles/mixedcase")
    assert response.json()["profile"]["username"] == "MixedCase"


async def test_batch_resolves_ids_and_usernames_with_viewer_follows(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    viewer, a, b = await register(), await register(), await register()
    await client.put("/api/user", json={"user": {"bio": "hello"}}, headers=auth_header(b["token"]))
    await client.post(f"/api/profiles/{a['username']}/follow", headers=auth_header(viewer["token"]))
    body = {
        "ids": [_user_id(a), 999_999],
        "usernames": [b["username"]],
        "viewerId": _user_id(viewer),
    }
    response = await client.post("/internal/profiles/batch", json=body)
    assert response.status_code == 200
    profiles = {p["username"]: p for p in response.json()["profiles"]}
    assert set(profiles) == {a["username"], b["username"]}
    assert profiles[a["username"]]["following"] is True
    assert profiles[b["username"]] == {
        "id": _user_id(b), "username": b["username"], "bio": "hello", "image": None, "following": False,
    }  # fmt: skip


async def test_batch_sees_profile_changes_after_cache_fill(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    body = {"ids": [_user_id(user)]}
    first = await client.post("/internal/profiles/batch", json=body)
    assert first.json()["profiles"][0]["bio"] is None
    await client.put(
        "/api/user", json={"user": {"bio": "updated"}}, headers=auth_header(user["token"])
    )
    second = await client.post("/internal/profiles/batch", json=body)
    assert second.json()["profiles"][0]["bio"] == "updated"


async def test_batch_sees_follow_changes_after_cache_fill(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    viewer, star = await register(), await register()
    body = {"ids": [_user_id(star)], "viewerId": _user_id(viewer)}
    assert (await client.post("/internal/profiles/batch", json=body)).json()["profiles"][0][
        "following"
    ] is False
    await client.post(
        f"/api/profiles/{star['username']}/follow", headers=auth_header(viewer["token"])
    )
    assert (await client.post("/internal/profiles/batch", json=body)).json()["profiles"][0][
        "following"
    ] is True


async def test_batch_rejects_oversized_requests(client: httpx.AsyncClient) -> None:
    response = await client.post("/internal/profiles/batch", json={"ids": list(range(501))})
    assert response.status_code == 422


async def test_batch_with_following_returns_followees_and_their_profiles(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    viewer, a, b, stranger = await register(), await register(), await register(), await register()
    for star in (a, b):
        await client.post(
            f"/api/profiles/{star['username']}/follow", headers=auth_header(viewer["token"])
        )
    body = {"viewerId": _user_id(viewer), "includeFollowing": True, "ids": [_user_id(stranger)]}
    response = (await client.post("/internal/profiles/batch", json=body)).json()
    assert response["followingIds"] == sorted([_user_id(a), _user_id(b)])
    following = {p["username"]: p["following"] for p in response["profiles"]}
    assert following == {a["username"]: True, b["username"]: True, stranger["username"]: False}
    plain = (await client.post("/internal/profiles/batch", json={"ids": [_user_id(a)]})).json()
    assert plain["followingIds"] is None
