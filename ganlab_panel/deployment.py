"""Serving a class: several ``ganlab serve`` processes behind nginx.

``nginx_config`` writes the site for nginx: connections go to the backend with
the fewest (``least_conn``), websockets are upgraded, and a page's websocket
reaches the process that built the page. That last part matters: Bokeh builds
a session when its page is fetched, and a websocket arriving at another
process builds the session again there (twice the server time, and the first
copy lingers until it expires). nginx's open-source build has no sticky
sessions, so the site pins a browser to the backend that served its first
page with a cookie (``ganlab_backend``); the cookie can only name one of the
listed backends, and a browser without it (or whose backend is gone) is
balanced afresh.
"""

from __future__ import annotations

import re

from ganlab_panel.engine.errors import GANLabError

#: the cookie that pins a browser to its backend
COOKIE = "ganlab_backend"

_ADDRESS = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")


def nginx_config(backends: list[str], listen: str = "80", server_name: str = "_", *,
                 prefix: str | None = None) -> str:
    """The nginx configuration (an ``http``-level snippet, or with ``prefix``
    a whole ``nginx.conf`` whose pid and logs go there) that serves
    ``backends`` (``host:port`` each) on ``listen``."""
    if not backends:
        raise GANLabError("nginx needs at least one backend (host:port)")
    for address in backends:
        if not _ADDRESS.match(address):
            raise GANLabError(f"a backend is host:port, such as 127.0.0.1:5100, not {address!r}")
    servers = "".join(f"    server {a} max_fails=1 fail_timeout=5s;\n" for a in backends)
    pins = "".join(f"    {a} {a};\n" for a in backends)
    site = f"""upstream ganlab {{
    least_conn;
{servers}}}

# a browser's cookie names the backend that built its page (or nothing)
map $cookie_{COOKIE} $ganlab_backend {{
    default ganlab;
{pins}}}

map $http_upgrade $ganlab_connection {{
    default upgrade;
    ''      close;
}}

server {{
    listen {listen};
    server_name {server_name};

    location / {{
        proxy_pass http://$ganlab_backend;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $ganlab_connection;
        proxy_set_header Host $host:$server_port;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_buffering off;
        proxy_read_timeout 1d;
        client_max_body_size 80m;
        proxy_next_upstream error timeout;
        add_header Set-Cookie "{COOKIE}=$upstream_addr; Path=/; SameSite=Lax; HttpOnly" always;
    }}
}}
"""
    if prefix is None:
        return site
    indented = "".join(f"    {line}\n" if line else "\n" for line in site.splitlines())
    return f"""pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
worker_processes auto;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{indented}}}
"""
