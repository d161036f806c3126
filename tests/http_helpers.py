"""Real requests to a live server: in parallel (see the `live_server` fixture), and a free port
for a server a test starts itself."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str]


def post_in_parallel(
    url: str, forms: list[dict[str, str]], headers: dict[str, str] | None = None
) -> list[Answer]:
    """POST each form to `url` at the same moment, one thread each (real parallel requests to a
    live server); the answers in the order of `forms`."""
    barrier = threading.Barrier(len(forms))

    def post(form: dict[str, str]) -> Answer:
        request = urllib.request.Request(
            url, data=urlencode(form).encode(), headers=headers or {}, method="POST"
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), dict(error.headers))

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        return list(pool.map(post, forms))


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
