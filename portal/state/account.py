"""Sign in, sign up and settings: forms whose field errors come from auth_service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import reflex as rx

from portal.clients import ApiError, AuthClient, User
from portal.state.session import SessionState, auth_client


def _form_text(form: dict[str, Any], name: str) -> str:
    return str(form.get(name) or "").strip()


class FormState(SessionState):
    """Field errors (by API field name) and a banner for one form."""

    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    error: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)
    saved: rx.Field[bool] = rx.field(False)

    # The form's field names: an error for any other field goes into the banner.
    _fields: ClassVar[tuple[str, ...]] = ()

    def _failed(self, exc: ApiError) -> None:
        self.errors = exc.fields
        loose = [text for name, text in exc.fields.items() if name not in self._fields]
        self.error = (
            " ".join([exc.message, *(f"({text})" for text in loose)]) if loose else exc.message
        )


class SignInState(FormState):
    _fields = ("email", "password")

    def _failed(self, exc: ApiError) -> None:
        if exc.status == 401:
            self.errors, self.error = {}, "Wrong email or password."
        else:
            super()._failed(exc)

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        self.busy, self.errors, self.error = True, {}, ""
        yield
        try:
            user = await auth_client().login(_form_text(form, "email"), str(form.get("password")))
        except ApiError as exc:
            self._failed(exc)
            self.busy = False
            return
        session = await self.get_state(SessionState)
        session.adopt(user)
        self.busy = False
        yield rx.redirect("/")


class SignUpState(FormState):
    _fields = ("username", "email", "password")

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        self.busy, self.errors, self.error = True, {}, ""
        yield
        try:
            user = await auth_client().register(
                _form_text(form, "username"), _form_text(form, "email"), str(form.get("password"))
            )
        except ApiError as exc:
            self._failed(exc)
            self.busy = False
            return
        session = await self.get_state(SessionState)
        session.adopt(user)
        self.busy = False
        yield rx.redirect("/")


class SettingsState(FormState):
    _fields = ("image", "username", "bio", "email", "password")

    @rx.event
    async def load(self) -> Any:
        self.errors, self.error, self.saved = {}, "", False
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return rx.redirect("/login")
        return None

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[None]:
        self.busy, self.errors, self.error, self.saved = True, {}, "", False
        yield
        session = await self.get_state(SessionState)
        changes: dict[str, Any] = {
            "image": _form_text(form, "image") or None,
            "username": _form_text(form, "username"),
            "bio": _form_text(form, "bio") or None,
            "email": _form_text(form, "email"),
        }
        if form.get("password"):
            changes["password"] = str(form["password"])
        client: AuthClient = auth_client()

        async def act(token: str) -> User:
            return await client.update_user(token, changes)

        try:
            session.adopt(await session.call(act))
            self.saved = True
        except ApiError as exc:
            self._failed(exc)
        self.busy = False
