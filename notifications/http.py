"""Every outgoing HTTP request of the notifications goes through `post()`.

One seam: tests replace it or point it at a loopback receiver; nothing else in the app
imports urllib. No redirects are followed (a webhook that moved is a configuration
error to see, not to chase) and responses are read only up to a small limit.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

USER_AGENT = "UNMS-notifications/1"
MAX_BODY = 4096


@dataclass(frozen=True)
class Response:
    status: int
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST and return the status and the start of the body; raises OSError (incl.
    timeouts and refused connections) when no HTTP answer came back."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"User-Agent": USER_AGENT, **headers}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Response(response.status, response.read(MAX_BODY).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read(MAX_BODY).decode("utf-8", "replace"))
