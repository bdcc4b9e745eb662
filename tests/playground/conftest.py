import json
import threading
import urllib.request

import pytest

from brique.playground import make_server


class Client:
    """The page's side of the API, one session."""

    def __init__(self, url, session="test"):
        self.url, self.session = url, session

    def call(self, path, body=None):
        data = None if body is None else body.encode()
        req = urllib.request.Request(f"{self.url}{path.lstrip('/')}?session={self.session}",
                                     data=data, method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())


@pytest.fixture
def server():
    srv = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def client(server):
    return Client(server.url)
