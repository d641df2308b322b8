"""A classroom on one server: what opening and playing costs the server.

    python benchmarks/classroom.py                   # one process, --num-procs 2, nginx with two backends
    python benchmarks/classroom.py --setups one,nginx --builds 8 --levels 1,2,4,8 --seconds 6   # BENCHMARKS.md
    python benchmarks/classroom.py --setups one --herd 30 --levels 1,2,4,8,16

Each visitor is a websocket client speaking Bokeh's protocol (``Visitor``):
it fetches the page, connects, pulls the document, presses Play by sending
the button's click, and counts the document updates the server sends. It
draws nothing, so the figures are the server's, not a browser's.

Per setup it prints:
- **build**: server CPU seconds to open one session (page, websocket, the
  document pulled), visitors one after another on a warm server: median, p95;
- **herd**: N visitors opening at the same instant: when each had its
  document, and when each was playing (its iteration counter moving: two
  frames after Play, the first setting where it starts), the last of them,
  when every counter had moved past what its page first showed (one frame
  after Play), any lost, and the server log's error lines;
- **rates**: with K sessions playing at once, each session's updates/s (min
  and median) and the server's CPU use; from that, how many sessions one
  server core feeds at ≥ 10 and at ≥ 25 updates/s;
- **memory**: each server process's RSS (and PSS, which counts pages shared
  after a fork once) before any session, and the growth per session.
  With ``--rounds R``: R rounds of 10 sessions opened, played and closed,
  and each process's memory after each (a process that keeps what closed
  sessions held grows round after round).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ERROR_PATTERN, ROOT, cpu_seconds, free_port, rss_mb  # noqa: E402

sys.path.insert(0, str(ROOT))
from ganlab_panel.deployment import COOKIE, nginx_config  # noqa: E402
from ganlab_panel.live.governor import UNWATCHED_PAUSE  # noqa: E402  (not the app: this process stays a client)

#: how long the herd's visitors have to be playing (later ones count as lost)
HERD_TIMEOUT = 180.0

TOKEN = re.compile(r'"token":"([^"]+)"')
ITERATION = re.compile(r"ganlab-iteration.*?&gt;([\d,]+)&lt;")


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _find_play(node) -> str | None:
    """The Play button's model id in a pulled document."""
    if isinstance(node, dict):
        attrs = node.get("attributes") or {}
        if str(node.get("name", "")).endswith("Button") and "ganlab-play" in (attrs.get("css_classes") or []):
            return node["id"]
        for value in node.values():
            found = _find_play(value)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find_play(value)
            if found:
                return found
    return None


class Visitor:
    """One person's page, as Bokeh's websocket protocol carries it."""

    def __init__(self, url: str):
        self.url, self.updates, self.iteration = url, 0, None
        #: behind nginx: the backend that built the page (its pinning cookie)
        self.backend: str | None = None
        self.started = self.has_document = self.playing_at = None
        #: when the counter first showed more than the document did (one frame after Play)
        self.moved_at = None
        self.error: str | None = None

    def _page(self) -> tuple[str, str]:
        """The page's HTML, and the cookies it set (as a Cookie header)."""
        with urllib.request.urlopen(self.url, timeout=HERD_TIMEOUT) as response:
            cookies = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
            return response.read().decode(), cookies

    async def _read_message(self, ws) -> tuple[dict, str]:
        header = json.loads(await ws.read_message())
        await ws.read_message()                       # metadata
        content = await ws.read_message()
        for _ in range(header.get("num_buffers", 0)):
            await ws.read_message()                   # the buffer's header...
            await ws.read_message()                   # ...and its bytes
        return header, content

    async def _send(self, ws, msgtype: str, content: dict, n: int) -> None:
        await ws.write_message(json.dumps({"msgid": str(n), "msgtype": msgtype}))
        await ws.write_message("{}")
        await ws.write_message(json.dumps(content))

    async def _event(self, ws, event: dict, n: int) -> None:
        await self._send(ws, "PATCH-DOC", {"events": [{"kind": "MessageSent", "msg_type": "bokeh_event",
                                                       "msg_data": event}]}, n)

    async def visit(self, play: bool = True, until: float | None = None) -> None:
        self.started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            html, cookies = await loop.run_in_executor(None, self._page)
            pinned = re.search(COOKIE + r"=([^;]+)", cookies)
            self.backend = pinned.group(1) if pinned else None
            token = TOKEN.search(html).group(1)
            ws_url = self.url.replace("http://", "ws://").split("?")[0] + "/ws"
            # as a browser does: the page's cookies go with its websocket (behind
            # nginx, the one naming the server that built the page), and it waits
            request = HTTPRequest(ws_url, headers={"Cookie": cookies} if cookies else None,
                                  connect_timeout=HERD_TIMEOUT, request_timeout=HERD_TIMEOUT)
            ws = await websocket_connect(request, subprotocols=["bokeh", token], max_message_size=200 * 2**20)
            await self._read_message(ws)                           # ACK
            await self._send(ws, "PULL-DOC-REQ", {}, 1)
            while True:
                header, content = await self._read_message(ws)
                if header["msgtype"] == "PULL-DOC-REPLY":
                    break
            self.has_document = time.perf_counter()
            shown = ITERATION.search(content)
            shown = int(shown.group(1).replace(",", "")) if shown else None
            play_id = _find_play(json.loads(content))
            # as BokehJS does once it has rendered the document: until then Panel
            # takes the page for unconnected and sends it no data changes
            await self._event(ws, {"type": "event", "name": "document_ready", "values": {"type": "map"}}, 2)
            if play:
                await self._event(ws, {"type": "event", "name": "button_click",
                                       "values": {"type": "map", "entries": [["model", {"id": play_id}]]}}, 3)
            self.ws = ws
            first = None
            while until is None or time.perf_counter() < until:
                try:   # a page that is not playing may get no message before ``until``
                    header, content = await asyncio.wait_for(
                        self._read_message(ws), None if until is None else max(until - time.perf_counter(), 0.01))
                except asyncio.TimeoutError:
                    break
                if header["msgtype"] != "PATCH-DOC":
                    continue
                self.updates += 1
                found = ITERATION.search(content)
                if found:
                    value = int(found.group(1).replace(",", ""))
                    first = value if first is None else first
                    if play and self.moved_at is None and shown is not None and value > shown:
                        self.moved_at = time.perf_counter()
                    if play and self.playing_at is None and value > first:
                        self.playing_at = time.perf_counter()
                        if until is None:
                            return
                    self.iteration = value
        except Exception as exc:   # a lost visitor is a figure, not a crash
            self.error = f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


class Setup:
    """The server(s) a class visits: one process, --num-procs N, or nginx before N servers."""

    def __init__(self, kind: str, procs: int = 2):
        self.kind, self.log_dir = kind, Path(tempfile.mkdtemp(prefix="ganlab-classroom-"))
        self.servers, self.nginx = [], None
        if kind == "nginx":
            ports, front = [free_port() for _ in range(procs)], free_port()
            for port in ports:
                self.servers.append(self._serve(port, "--allow-websocket-origin", f"127.0.0.1:{front}"))
            conf = self.log_dir / "nginx.conf"
            conf.write_text(nginx_config([f"127.0.0.1:{p}" for p in ports], f"127.0.0.1:{front}",
                                         prefix=str(self.log_dir)))
            self.nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p",
                                           str(self.log_dir), "-g", "daemon off;"])
            self.url = f"http://127.0.0.1:{front}/ganlab"
        else:
            port = free_port()
            self.servers.append(self._serve(port, *(["--num-procs", str(procs)] if kind == "procs" else [])))
            self.url = f"http://127.0.0.1:{port}/ganlab"
        expected = procs if kind != "one" else 1
        while sum(log.read_text().count(" ready (") for _, log in self.servers) < expected:
            time.sleep(0.3)
        self.pids = [int(p) for _, log in self.servers for p in re.findall(r"process (\d+) ready", log.read_text())]
        time.sleep(1.0)

    def _serve(self, port: int, *extra: str):
        log = self.log_dir / f"serve-{port}.log"
        proc = subprocess.Popen([sys.executable, "-m", "ganlab_panel.cli", "serve", "--port", str(port), "--address",
                                 "127.0.0.1", "--no-show", "--allow-websocket-origin", f"127.0.0.1:{port}", *extra],
                                stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT)
        return proc, log

    def cpu(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids)

    def errors(self) -> list[str]:
        return [line for _, log in self.servers for line in log.read_text().splitlines()
                if ERROR_PATTERN.search(line) and "Failed sending message" not in line]

    def close(self) -> None:
        for proc, _ in self.servers:
            proc.terminate()
        if self.nginx is not None:
            self.nginx.terminate()
        for proc, _ in self.servers:
            proc.wait(timeout=30)
        shutil.rmtree(self.log_dir, ignore_errors=True)


async def build_costs(setup: Setup, n: int) -> list[float]:
    costs = []
    for _ in range(n):
        before = setup.cpu()
        visitor = Visitor(setup.url)
        await visitor.visit(play=False, until=time.perf_counter() + 1.0)
        costs.append(setup.cpu() - before)
        visitor.close()
        await asyncio.sleep(0.3)
    return costs


async def herd(setup: Setup, n: int) -> dict:
    visitors = [Visitor(setup.url) for _ in range(n)]
    start = time.perf_counter()
    tasks = [asyncio.ensure_future(v.visit(play=True)) for v in visitors]
    _, late = await asyncio.wait(tasks, timeout=HERD_TIMEOUT)
    for task in late:   # not playing by then: counted as lost
        task.cancel()
    documents = [v.has_document - start for v in visitors if v.has_document]
    playing = [v.playing_at - start for v in visitors if v.playing_at]
    # from a page's document to its counter moving: Play, and the first frames
    to_play = sorted(v.playing_at - v.has_document for v in visitors if v.playing_at)
    moved = [v.moved_at - start for v in visitors if v.moved_at]
    for v in visitors:
        v.close()
    return {"documents": documents, "playing": playing, "to_play": to_play, "moved": moved, "lost": n - len(playing),
            "why": sorted({v.error for v in visitors if v.error})}


async def rates(setup: Setup, k: int, seconds: float) -> dict:
    visitors = [Visitor(setup.url) for _ in range(k)]
    for v in visitors:   # opened one by one, then all play together
        asyncio.ensure_future(v.visit(play=True, until=time.perf_counter() + 1e9))
        while v.has_document is None and v.error is None:
            await asyncio.sleep(0.05)
    await asyncio.sleep(3.0)
    counts, cpu0, t0 = [v.updates for v in visitors], setup.cpu(), time.perf_counter()
    await asyncio.sleep(seconds)
    wall = time.perf_counter() - t0
    per_session = [(v.updates - c) / wall for v, c in zip(visitors, counts)]
    cores = (setup.cpu() - cpu0) / wall
    pss = sum(p for _, p in memory(setup))   # while the K sessions are open
    for v in visitors:
        v.close()
    await asyncio.sleep(UNWATCHED_PAUSE + 1.0)   # their training paused before the next level plays
    backends: dict[str, list[float]] = {}
    for v, rate in zip(visitors, per_session):
        if v.backend:
            backends.setdefault(v.backend, []).append(rate)
    return {"k": k, "min": min(per_session), "median": statistics.median(per_session), "cores": cores, "pss": pss,
            "backends": backends}


def memory(setup: Setup) -> list[tuple[float, float]]:
    return [(rss_mb(p), pss_mb(p)) for p in setup.pids]


async def open_and_close(setup: Setup, n: int) -> None:
    """``n`` sessions opened at once and played, then closed, and time for the
    server to drop them (15 s unused, checked every 17 s) and give back what
    they freed (every 30 s)."""
    visitors = [Visitor(setup.url) for _ in range(n)]
    await asyncio.gather(*(v.visit(play=True) for v in visitors))
    await asyncio.sleep(3)
    for visitor in visitors:
        visitor.close()
    await asyncio.sleep(65)


async def measure(kind: str, args) -> None:
    setup = Setup(kind, args.procs)
    try:
        print(f"\n== {kind}: {setup.url} ({len(setup.pids)} server process(es))", flush=True)
        before = memory(setup)
        print("memory before any session, MB (RSS/PSS): " + ", ".join(f"{r:.0f}/{p:.0f}" for r, p in before))
        costs = await build_costs(setup, args.builds)
        costs.sort()
        print(f"build: server CPU per session, s: median {statistics.median(costs):.2f}, "
              f"p95 {costs[min(len(costs) - 1, int(0.95 * len(costs)))]:.2f} (n={len(costs)})", flush=True)
        if args.herd:
            wall, own = time.perf_counter(), time.process_time()
            result = await herd(setup, args.herd)
            wall, own = time.perf_counter() - wall, time.process_time() - own
            print(f"herd of {args.herd}: every document by {max(result['documents'], default=float('nan')):.1f} s, "
                  f"every session playing by {max(result['playing'], default=float('nan')):.1f} s; "
                  f"lost {result['lost']} {result['why'] or ''}; server errors {len(setup.errors())}", flush=True)
            if result["to_play"]:
                print(f"    from a page's document to its counter moving: median "
                      f"{statistics.median(result['to_play']):.1f} s, longest {result['to_play'][-1]:.1f} s; "
                      f"every counter past what its page first showed by "
                      f"{max(result['moved'], default=float('nan')):.1f} s (one frame after Play, where "
                      f"'playing' waits for a second)")
            # the visitors run on this machine too: what they took of it is not the server's
            print(f"    the visitors' own CPU meanwhile: {own:.1f} s in {wall:.1f} s", flush=True)
            await asyncio.sleep(args.settle)   # the herd's sessions closed and freed
            after_herd = memory(setup)
            grown = sum(p for _, p in after_herd) - sum(p for _, p in before)
            print(f"memory after the herd's sessions closed, MB PSS: {sum(p for _, p in after_herd):.0f} "
                  f"({grown:+.0f})", flush=True)
        feeds = {10: 0.0, 25: 0.0}
        for k in args.levels:
            base = sum(p for _, p in memory(setup))
            r = await rates(setup, k, args.seconds)
            per_session_mb = (r["pss"] - base) / k
            print(f"{k:3d} playing: updates/s per session min {r['min']:.1f}, median {r['median']:.1f}; "
                  f"server {r['cores']:.2f} cores; memory +{per_session_mb:.1f} MB PSS a session", flush=True)
            for backend, got in sorted(r["backends"].items()):
                print(f"      {backend}: {len(got)} sessions, updates/s min {min(got):.1f}, "
                      f"median {statistics.median(got):.1f}", flush=True)
            for rate in feeds:
                if r["min"] >= rate:
                    feeds[rate] = max(feeds[rate], k / max(r["cores"], 1e-9))
        print(f"sessions one server core feeds: ≥10 updates/s: {feeds[10]:.1f}; ≥25 updates/s: {feeds[25]:.1f}")
        for round_ in range(args.rounds):
            await open_and_close(setup, 10)
            print(f"after round {round_ + 1} of 10 sessions opened, played and closed, MB (RSS/PSS): "
                  + ", ".join(f"{r:.0f}/{p:.0f}" for r, p in memory(setup)), flush=True)
        print(f"server errors: {len(setup.errors())}")
    finally:
        setup.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setups", default="one,procs,nginx", help="one, procs (--num-procs), nginx")
    parser.add_argument("--procs", type=int, default=2, help="processes with procs and nginx [default: 2]")
    parser.add_argument("--builds", type=int, default=10, help="sessions opened one by one [default: 10]")
    parser.add_argument("--herd", type=int, default=30, help="sessions opened at the same instant; 0: none [default: 30]")
    parser.add_argument("--levels", default="1,2,4,8", help="sessions playing at once [default: 1,2,4,8]")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds measured at each level [default: 8]")
    parser.add_argument("--rounds", type=int, default=0,
                        help="rounds of 10 sessions opened, played and closed, memory after each [default: 0]")
    parser.add_argument("--settle", type=float, default=40.0,
                        help="seconds for closed sessions to be freed (Bokeh forgets one after 15 s) [default: 40]")
    args = parser.parse_args(argv)
    args.levels = [int(k) for k in args.levels.split(",") if k]
    print(f"{os.cpu_count()} cores; visitors are websocket clients (no browser)")
    for kind in args.setups.split(","):
        if kind == "nginx" and not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
            print("\n== nginx: not installed, skipped")
            continue
        asyncio.run(measure(kind, args))


if __name__ == "__main__":
    main()
