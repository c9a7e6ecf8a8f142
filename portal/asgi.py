"""The production server: `granian --interface asgi --factory portal.asgi:create_app`.

It runs the already built app the way ``reflex run --env prod --single-port`` would, without
building again at start: production mode, no compile, the built frontend (``.web/build``,
made by ``reflex export --frontend-only --no-zip``) mounted next to the state websocket on
one port. Build once (image build, ``make dev``), start many times.
"""

from __future__ import annotations

from starlette.types import ASGIApp


def create_app() -> ASGIApp:
    from reflex.constants import Env
    from reflex_base.environment import environment

    # Before the app module is imported: state classes are shaped by the mode.
    environment.REFLEX_ENV_MODE.set(Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)

    from portal.portal import app

    asgi: ASGIApp = app()
    return asgi
