"""A WebSocket test communicator: channels.testing.WebsocketCommunicator's protocol on
asgiref's ApplicationCommunicator. Importing `channels.testing` pulls in daphne (for its
live-server case), which this project does not install."""

from __future__ import annotations

import json
from typing import Any

from asgiref.testing import ApplicationCommunicator


class WebsocketCommunicator(ApplicationCommunicator):  # type: ignore[misc]
    def __init__(self, application: Any, path: str) -> None:
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": path,
                "query_string": b"",
                "headers": [],
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("127.0.0.1", 8000),
            },
        )

    async def connect(self, timeout: float = 2) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, response.get("subprotocol")

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 2) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 2) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
