"""Builds the Reflex app; every page registers itself from `portal.pages`."""

import reflex as rx


def index() -> rx.Component:
    heading: rx.Component = rx.heading("Conduit", id="home-title")
    return heading


app = rx.App()
app.add_page(index, route="/")
