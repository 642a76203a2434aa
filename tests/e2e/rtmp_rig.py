"""A real livestream rig on loopback: nginx with Debian's ``libnginx-mod-rtmp`` and Debian's ``ffmpeg``.

``RtmpServer`` runs nginx in the foreground with its own config, pid, logs and HLS folder in a temporary
directory, listening on 127.0.0.1 only (RTMP on one free port, HLS over HTTP on another); ``publish`` starts
an ``ffmpeg`` publisher of a generated benign test video, with a stand-in picture on screen from a chosen
second. Everything is bounded in time and stopped in ``close()``. See
``../shared/research/livestream-notes.md`` for the measured configuration.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw

RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


def unavailable_reason() -> str | None:
    """Why the rig cannot run here (None when it can)."""
    if shutil.which("nginx") is None:
        return "nginx is not installed (apt-get install nginx libnginx-mod-rtmp)"
    if not RTMP_MODULE.exists():
        return "nginx's RTMP module is not installed (apt-get install libnginx-mod-rtmp)"
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not installed (apt-get install ffmpeg)"
    try:
        encoders = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True,
                                  timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "ffmpeg does not run"
    if "libx264" not in encoders:
        return "ffmpeg lacks libx264"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def standin_picture(path: Path, *, seed: int = 7, size: tuple[int, int] = (640, 360)) -> Path:
    """A benign picture of coloured discs: the "known" content of the tests."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, (30, 60, 120))
    draw = ImageDraw.Draw(img)
    w, h = size
    for _ in range(40):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(w // 64 + 5, w // 8)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    img.save(path)
    return path


class RtmpServer:
    """nginx-rtmp on loopback with HLS; a context manager."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rtmp_port = free_port()
        self.http_port = free_port()
        self.hls_dir = root / "hls"
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        user = "user root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
        r = self.root
        return f"""{user}load_module {RTMP_MODULE};
daemon off;
master_process on;
worker_processes 1;
pid {r}/nginx.pid;
error_log {r}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{self.rtmp_port};
        application live {{
            live on;
            wait_key on;
            wait_video on;
            hls on;
            hls_path {self.hls_dir};
            hls_fragment 2s;
            hls_playlist_length 60s;
        }}
    }}
}}
http {{
    access_log off;
    client_body_temp_path {r}/client_body;
    proxy_temp_path {r}/proxy;
    fastcgi_temp_path {r}/fastcgi;
    uwsgi_temp_path {r}/uwsgi;
    scgi_temp_path {r}/scgi;
    server {{
        listen 127.0.0.1:{self.http_port};
        location /hls {{
            types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
            alias {self.hls_dir};
            add_header Cache-Control no-cache;
        }}
    }}
}}
"""

    def start(self, timeout: float = 15.0) -> RtmpServer:
        self.hls_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.hls_dir, 0o777)
        conf = self.root / "nginx.conf"
        conf.write_text(self.config())
        with open(self.root / "nginx.stderr", "wb") as stderr:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                ["nginx", "-c", str(conf), "-p", str(self.root), "-e", str(self.root / "error.log")],
                stdout=subprocess.DEVNULL, stderr=stderr,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.rtmp_port), 0.5).close()
                socket.create_connection(("127.0.0.1", self.http_port), 0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.close()
        raise RuntimeError(f"nginx did not listen within {timeout} s: {self.log()}")

    def log(self) -> str:
        parts = []
        for name in ("nginx.stderr", "error.log"):
            p = self.root / name
            if p.exists():
                parts.append(p.read_text(errors="replace")[-2000:])
        return "\n".join(parts)

    def rtmp_url(self, name: str) -> str:
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live/{name}"

    def hls_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.http_port}/hls/{name}.m3u8"

    def rtmp_clients(self) -> int:
        """Established TCP connections to the RTMP port (players and publishers), from /proc/net/tcp."""
        count = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                local, state = fields[1], fields[3]
                if state == "01" and int(local.rsplit(":", 1)[1], 16) == self.rtmp_port:
                    count += 1
        return count

    def wait_clients(self, n: int, timeout: float = 15.0) -> bool:
        """Wait until at least ``n`` clients are connected to the RTMP port (True), or give up (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.rtmp_clients() >= n:
                return True
            time.sleep(0.05)
        return False

    def wait_hls(self, name: str, timeout: float = 20.0) -> bool:
        """Wait until the stream's playlist lists a segment."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.hls_url(name), timeout=2) as r:
                    if b".ts" in r.read():
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        return False

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def __enter__(self) -> RtmpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def publish(
    url: str,
    *,
    seconds: float,
    picture: Path | None = None,
    show_from: float | None = None,
    size: str = "640x360",
    fps: int = 15,
    gop_seconds: float = 2.0,
    log: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Publish a generated benign test video (``testsrc2``) in real time, with ``picture`` filling the
    screen from ``show_from`` seconds (None: never). Keyframes every ``gop_seconds``."""
    w, h = size.split("x")
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
           "-re", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}"]
    if picture is not None and show_from is not None:
        cmd += ["-re", "-loop", "1", "-framerate", str(fps), "-i", str(picture),
                "-filter_complex",
                f"[1:v]scale={w}:{h},format=yuv420p[img];"
                f"[0:v][img]overlay=shortest=0:enable='gte(t,{show_from})'[out]",
                "-map", "[out]"]
    gop = str(int(fps * gop_seconds))
    cmd += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
            "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-pix_fmt", "yuv420p",
            "-f", "flv", url]
    if log is None:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL)
    with open(log, "wb") as stderr:  # the child keeps its own copy
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
