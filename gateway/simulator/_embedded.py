"""A simulator inside another app's process, reached through httpx's ASGITransport.

That transport sends no lifespan events, so the simulator's lifespan (its
activity, see `_activity`) would never run; `SimulatorLifespan` runs it within
the app's own.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SimulatorLifespan"]


class SimulatorLifespan:
    """`app`, with `simulator`'s lifespan around its own.

    The simulator starts before the app does and stops once the app has
    stopped, before the server is told so: nothing of it is left running when
    the server's loop ends.
    """

    def __init__(self, app: ASGIApp, simulator: Starlette) -> None:
        self.app = app
        self.simulator = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        async with AsyncExitStack() as running:
            lifespan = self.simulator.router.lifespan_context(self.simulator)
            await running.enter_async_context(lifespan)

            async def send_once_stopped(message: Message) -> None:
                if message["type"].startswith("lifespan.shutdown."):
                    await running.aclose()
                await send(message)

            await self.app(scope, receive, send_once_stopped)
