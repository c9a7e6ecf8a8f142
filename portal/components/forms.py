"""Form fields with their label and the API's error for that field next to them."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal.components.layout import field_error


def field(
    label: str,
    name: str,
    errors: Any,
    *,
    form_id: str,
    kind: str = "text",
    default: Any = "",
    multiline: bool = False,
    autocomplete: str = "off",
    required: bool = False,
) -> rx.Component:
    control_id = f"{form_id}-{name}"
    control = (
        rx.text_area(name=name, id=control_id, default_value=default, width="100%", rows="5")
        if multiline
        else rx.input(
            name=name,
            id=control_id,
            type=kind,
            default_value=default,
            width="100%",
            auto_complete=autocomplete,
            required=required,
        )
    )
    return rx.vstack(
        rx.el.label(label, html_for=control_id, font_weight="500", font_size="0.9rem"),
        control,
        field_error(errors[name].to(str), f"error-{name}"),
        spacing="1",
        width="100%",
    )
