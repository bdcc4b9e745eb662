"""The playground: a local web page to play with small networks on 2-D data, trained by brique.

    brique playground                 # serves http://127.0.0.1:8000/ and opens the browser
    from brique.playground import serve; serve(port=8000, open_browser=False)

The server is the standard library's (`http.server`, one thread per request, Server-Sent
Events for the stream): the page needs a dozen routes and one stream, which a framework would
not shorten, and brique gains no dependency. The page is plain HTML, CSS and JavaScript shipped
in the package (`static/`): no build step, no network, no CDN.
"""
from .server import make_server, serve  # noqa: F401
from .session import Session  # noqa: F401
