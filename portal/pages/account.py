"""Sign in, sign up, settings."""

from __future__ import annotations

import reflex as rx

from portal import styles
from portal.components.forms import field
from portal.components.layout import banner, page
from portal.state.account import SettingsState, SignInState, SignUpState
from portal.state.session import SessionState


def _card(*children: rx.Component) -> rx.Component:
    return rx.box(*children, style={**styles.card, "max_width": "480px", "margin_x": "auto"})


def sign_in() -> rx.Component:
    return page(
        _card(
            rx.form(
                rx.vstack(
                    banner(SignInState.error, "signin-error"),
                    field(
                        "Email",
                        "email",
                        SignInState.errors,
                        form_id="signin",
                        kind="email",
                        autocomplete="email",
                        required=True,
                    ),
                    field(
                        "Password",
                        "password",
                        SignInState.errors,
                        form_id="signin",
                        kind="password",
                        autocomplete="current-password",
                        required=True,
                    ),
                    rx.button(
                        "Sign in",
                        type="submit",
                        loading=SignInState.busy,
                        id="signin-submit",
                        width="100%",
                    ),
                    rx.link("Need an account? Sign up", href="/register"),
                    spacing="3",
                ),
                on_submit=SignInState.submit,
            )
        ),
        title="Sign in",
    )


def sign_up() -> rx.Component:
    return page(
        _card(
            rx.form(
                rx.vstack(
                    banner(SignUpState.error, "signup-error"),
                    field(
                        "Username",
                        "username",
                        SignUpState.errors,
                        form_id="signup",
                        autocomplete="username",
                        required=True,
                    ),
                    field(
                        "Email",
                        "email",
                        SignUpState.errors,
                        form_id="signup",
                        kind="email",
                        autocomplete="email",
                        required=True,
                    ),
                    field(
                        "Password",
                        "password",
                        SignUpState.errors,
                        form_id="signup",
                        kind="password",
                        autocomplete="new-password",
                        required=True,
                    ),
                    rx.button(
                        "Sign up",
                        type="submit",
                        loading=SignUpState.busy,
                        id="signup-submit",
                        width="100%",
                    ),
                    rx.link("Have an account? Sign in", href="/login"),
                    spacing="3",
                ),
                on_submit=SignUpState.submit,
            )
        ),
        title="Sign up",
    )


def settings() -> rx.Component:
    form = rx.form(
        rx.vstack(
            banner(SettingsState.error, "settings-error"),
            rx.cond(
                SettingsState.saved,
                rx.callout("Saved.", icon="check", color_scheme="green", id="settings-saved"),
            ),
            field(
                "Picture URL",
                "image",
                SettingsState.errors,
                form_id="settings",
                kind="url",
                default=SessionState.image,
            ),
            field(
                "Username",
                "username",
                SettingsState.errors,
                form_id="settings",
                default=SessionState.username,
                required=True,
            ),
            field(
                "Bio",
                "bio",
                SettingsState.errors,
                form_id="settings",
                default=SessionState.bio,
                multiline=True,
            ),
            field(
                "Email",
                "email",
                SettingsState.errors,
                form_id="settings",
                kind="email",
                default=SessionState.email,
                required=True,
            ),
            field(
                "New password (leave empty to keep yours)",
                "password",
                SettingsState.errors,
                form_id="settings",
                kind="password",
                autocomplete="new-password",
            ),
            rx.button(
                "Save settings", type="submit", loading=SettingsState.busy, id="settings-save"
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=SettingsState.submit,
    )
    return page(
        _card(
            rx.cond(
                SessionState.signed_in,
                rx.vstack(
                    form,
                    rx.separator(),
                    rx.button(
                        "Sign out",
                        on_click=SessionState.sign_out,
                        color_scheme="red",
                        variant="outline",
                        id="sign-out",
                    ),
                    spacing="4",
                ),
                rx.hstack(rx.spinner(), rx.text("Loading your settings…"), role="status"),
            )
        ),
        title="Your settings",
    )
