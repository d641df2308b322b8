"""The app on a real Bokeh server, in this process: it answers, a session
builds its own GANLab, and a closed session lets its trainer go."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import time
import urllib.request
import weakref
from pathlib import Path

import panel as pn
import pytest

from ganlab_panel.ui import serving
from ganlab_panel.ui.lab import GANLab

pytestmark = pytest.mark.subprocess   # the app served by `panel serve` and `ganlab serve`, as processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 60.0) -> str:
    """``url``'s page, retried until the server listens; each request may take
    the time left (see tests/ui/conftest.py's wait_for_http)."""
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=max(deadline - time.time(), 1.0)) as r:
                return r.read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def listening_addresses(port: int) -> list[str] | None:
    """Local addresses (hex, as /proc/net shows them) listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            return None
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(addr)
    return found


def live_labs() -> list[GANLab]:
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is GANLab and not o.closed]


def websocket_handshake(port: int, path: str, origin: str) -> int:
    """The HTTP status a websocket upgrade request from ``origin`` gets."""
    import base64
    import os
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      f"Origin: {origin}\r\n\r\n").encode())
        status_line = sock.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def wait_until(condition, timeout=30.0):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


@pytest.fixture
def server():
    port = free_port()
    thread = pn.serve({"ganlab": lambda: GANLab(use_pretrained=False)}, port=port, address="127.0.0.1",
                      threaded=True, show=False, websocket_origin=[f"127.0.0.1:{port}"],
                      check_unused_sessions_milliseconds=200,
                      unused_session_lifetime_milliseconds=300)
    yield f"http://127.0.0.1:{port}/ganlab"
    thread.stop()


def test_sessions_build_their_own_app_and_closing_frees_the_whole_app(server):
    from bokeh.client import pull_session

    assert "bokeh" in get(server).lower()
    before = set(map(id, live_labs()))
    first = pull_session(url=server)
    second = pull_session(url=server)
    labs = [lab for lab in live_labs() if id(lab) not in before]
    assert len(labs) == 2
    a, b = labs
    assert a.trainer is not b.trainer and a.config is not b.config
    refs = [weakref.ref(lab.trainer) for lab in labs]
    closed = [weakref.ref(lab) for lab in labs]
    del labs, a, b
    first.close()
    second.close()

    def released():
        gc.collect()
        return all(r() is None for r in refs + closed)
    wait_until(released)


def test_sessions_made_when_their_websocket_arrives_name_stylesheets_on_this_server():
    """A session made when its websocket arrives (``ganlab serve`` renders
    pages from a reused session, and with --num-procs another process may have
    rendered it) names Panel's stylesheets on this server, not on a CDN a
    classroom's network may not reach: the first such session and the next."""
    from bokeh.client import pull_session
    from bokeh.models import ImportedStyleSheet

    port = free_port()
    thread = pn.serve({"ganlab": serving.served_page(GANLab.from_url)}, port=port, address="127.0.0.1", threaded=True, show=False,
                      websocket_origin=[f"127.0.0.1:{port}"])
    try:
        get(f"http://127.0.0.1:{port}/ganlab")   # the server is up
        for _ in range(2):
            session = pull_session(url=f"http://127.0.0.1:{port}/ganlab")
            urls = [m.url for m in session.document.models if isinstance(m, ImportedStyleSheet)]
            session.close()
            assert urls and [u for u in urls if u.startswith(("http:", "https:"))] == []
    finally:
        thread.stop()


def test_a_process_ready_for_visitors_holds_no_page_of_its_warm_up():
    """The warm-up builds a page nobody sees; once the process is ready,
    nothing of that page is left but what it cached."""
    def all_labs():
        gc.collect()
        return {id(o) for o in gc.get_objects() if type(o) is GANLab}

    before = all_labs()
    serving.warm_up()
    assert all_labs() <= before


def test_ganlab_serve_binds_localhost_and_answers(tmp_path):
    port = free_port()
    script = Path(sys.executable).with_name("ganlab")
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([str(script), "serve", "--port", str(port), "--no-show"], stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        page = get(f"http://localhost:{port}/ganlab", timeout=90)
        assert "bokeh" in page.lower()
        listening = listening_addresses(port)
        if listening is None:
            pytest.skip("no /proc/net/tcp to read listening sockets from")
        assert listening and all(addr in ("0100007F", "00000000000000000000000001000000") for addr in listening)
        # Bokeh's websocket origin check stays on: a page from elsewhere cannot connect
        assert websocket_handshake(port, "/ganlab/ws", f"http://evil.example:{port}") == 403
        assert websocket_handshake(port, "/ganlab/ws", f"http://localhost:{port}") != 403
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    said = (tmp_path / "serve.log").read_text()
    assert "ready (" in said
    if (os.cpu_count() or 1) > 1:   # a machine with cores to spare says how to use them
        assert f"--num-procs 0 uses all {os.cpu_count()}" in said


@pytest.mark.parametrize("procs", ["1", "2"])
def test_ganlab_serve_on_a_port_in_use_says_so(procs):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        script = Path(sys.executable).with_name("ganlab")
        out = subprocess.run([str(script), "serve", "--port", str(port), "--no-show", "--num-procs", procs],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert f"cannot listen on localhost:{port}" in out.stderr and "--port" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.skipif(not Path("/proc/self/statm").exists() or serving.glibc() is None,
                    reason="needs glibc and /proc")
def test_a_server_process_gives_back_memory_that_closed_sessions_freed():
    def rss_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20

    # what sessions leave behind: most of what they allocated freed, a little
    # still alive all through it, so the free pages sit inside the heap
    blocks = [bytes(4000) for _ in range(50_000)]
    alive = blocks[::50]
    del blocks
    before = rss_mb()
    serving.give_back_memory()
    assert rss_mb() < before - 100, "the freed 190 MB stayed with the process"
    assert len(alive) == 1000


@pytest.mark.skipif(not Path("/proc/self/smaps").exists() or serving.glibc() is None,
                    reason="needs glibc and /proc")
def test_a_warm_server_hands_back_the_compilers_pages_and_still_compiles(fresh_python):
    """Once warm, a served process holds next to none of LLVM's library (the
    ~70 MB compiling read; this test's own process maps some of it too); it
    still trains and draws at full speed, and a compile afterwards
    (a type nothing compiled yet) still works."""
    code = (
        "import numpy as np\n"
        "def _resident_kb(library):   # KB of the library's mappings resident here\n"
        "    total, current = 0, ''\n"
        "    for line in open('/proc/self/smaps'):\n"
        "        fields = line.split()\n"
        "        if '-' in fields[0] and not fields[0].endswith(':'):\n"
        "            current = fields[5] if len(fields) > 5 else ''\n"
        "        elif fields[0] == 'Rss:' and library in current:\n"
        "            total += int(fields[1])\n"
        "    return total\n"
        "from ganlab_panel.ui.serving import page_out_compiler, settle_in, warm_up\n"
        "from ganlab_panel.ui.lab import GANLab\n"
        "from ganlab_panel.live.scene import compute_scene, density_image\n"
        "warm_up()\n"
        "before = _resident_kb('libllvmlite')\n"
        "settle_in()\n"
        "after = _resident_kb('libllvmlite')\n"
        "lab = GANLab.from_url({})\n"
        "lab.trainer.train(300)\n"
        "compute_scene(lab.trainer, d_field=True, density=True)\n"
        "playing = _resident_kb('libllvmlite')\n"
        "dens = density_image(np.random.default_rng(0).random((500, 2)).astype(np.float32), 20)\n"
        "print(before // 1024, after // 1024, playing // 1024, lab.trainer.path, np.nanmax(dens) == 1.0,\n"
        "      page_out_compiler() > 0)\n"
    )
    before, after, playing, path, drew, possible = fresh_python(code, timeout=180).split()
    if possible != "True":
        pytest.skip("this kernel does not reclaim pages on request (MADV_PAGEOUT needs Linux 5.4)")
    assert int(before) > 20, f"LLVM's library was hardly resident after warming up ({before} MB)"
    assert int(after) < 4, f"{after} MB of LLVM's library stayed resident (from {before} MB)"
    assert int(playing) < 4, f"training and drawing read LLVM's library back ({playing} MB)"
    assert path == "compiled" and drew == "True"
