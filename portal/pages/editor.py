"""The editor: title, description, Markdown body with a preview, tags; draft or publish."""

from __future__ import annotations

import reflex as rx

from portal import styles
from portal.components.layout import banner, field_error, page
from portal.state.editor import EditorState


def _labelled(label: str, control_id: str, control: rx.Component, name: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=control_id, font_weight="500", font_size="0.9rem"),
        control,
        field_error(EditorState.errors[name].to(str), f"error-{name}"),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    body = rx.cond(
        EditorState.preview,
        rx.box(
            # Client-side Markdown preview with raw HTML off: typed HTML shows as text.
            rx.markdown(EditorState.body, use_raw=False, use_katex=False, use_math=False),
            id="editor-preview",
            style={**styles.card, **styles.article_body},
            min_height="10rem",
        ),
        rx.text_area(
            value=EditorState.body,
            on_change=EditorState.set_body,
            id="editor-body",
            rows="14",
            width="100%",
            placeholder="Write your article (in Markdown)",
        ),
    )
    return rx.vstack(
        banner(EditorState.error, "editor-error"),
        _labelled(
            "Title",
            "editor-title",
            rx.input(
                value=EditorState.title,
                on_change=EditorState.set_title,
                id="editor-title",
                width="100%",
            ),
            "title",
        ),
        _labelled(
            "What is this article about?",
            "editor-description",
            rx.input(
                value=EditorState.description,
                on_change=EditorState.set_description,
                id="editor-description",
                width="100%",
            ),
            "description",
        ),
        rx.hstack(
            rx.text("Body", weight="medium", size="2"),
            rx.spacer(),
            rx.button(
                rx.cond(EditorState.preview, "Back to writing", "Preview"),
                on_click=EditorState.toggle_preview,
                variant="ghost",
                size="1",
                id="editor-preview-toggle",
            ),
            width="100%",
        ),
        body,
        field_error(EditorState.errors["body"].to(str), "error-body"),
        _labelled(
            "Tags (separated by commas)",
            "editor-tags",
            rx.input(
                value=EditorState.tags,
                on_change=EditorState.set_tags,
                id="editor-tags",
                width="100%",
            ),
            "tagList",
        ),
        rx.hstack(
            rx.button(
                "Save draft",
                on_click=EditorState.save("draft"),
                variant="outline",
                loading=EditorState.busy,
                id="editor-save-draft",
            ),
            rx.button(
                "Publish",
                on_click=EditorState.save("published"),
                loading=EditorState.busy,
                id="editor-publish",
            ),
            justify="end",
            width="100%",
            spacing="3",
        ),
        spacing="3",
        width="100%",
    )


def editor() -> rx.Component:
    return page(
        rx.cond(
            EditorState.ready,
            _form(),
            rx.cond(
                EditorState.error != "",
                banner(EditorState.error, "editor-error"),
                rx.hstack(rx.spinner(), rx.text("Opening the editor…"), role="status"),
            ),
        ),
        title="Editor",
    )
