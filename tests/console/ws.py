"""A WebSocket test client over asgiref's ApplicationCommunicator, for every consumer's
tests (console, notification pop-ups).

channels.testing.WebsocketCommunicator is the same thing, but importing `channels.testing`
pulls in daphne (for its live-server test case), which this project does not install.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from asgiref.testing import ApplicationCommunicator


class WebsocketClient(ApplicationCommunicator):  # type: ignore[misc]
    def __init__(
        self, application: Any, path: str, headers: Sequence[tuple[bytes, bytes]] = ()
    ) -> None:
        parsed = urlparse(path)
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": unquote(parsed.path),
                "query_string": parsed.query.encode(),
                "headers": list(headers),
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("127.0.0.1", 8000),
            },
        )

    async def connect(self, timeout: float = 2) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def receive_json_from(self, timeout: float = 2) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def disconnect(self, code: int = 1000, timeout: float = 2) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
