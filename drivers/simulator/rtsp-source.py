#!/usr/bin/python3
# Simulated RTSP source for tests and the demo: Debian's GStreamer RTSP server (TCP interleaved
# works, unlike the npm rtsp-streaming-server). Driven by rtsp-source.ts over stdin/stdout:
#   argv[1] = JSON {"port": 0, "mounts": [{"path": "main", "launch": "( videotestsrc ... )", "shared": true}],
#                   "username": null, "password": null, "dropped": false}
#   "dropped": start with nothing mounted, as after "drop" (a restart after a crash keeps the state).
#   "shared" (default true): one pipeline for every reader of the mount; false: one per reader.
#   The launch strings are built in gst-pipelines.ts (which `sharpeyes doctor` checks), never here.
#   stdout  = one JSON line {"port": N} once bound, then {"ok": "<cmd>"} per command
#   stdin   = "drop" (unmount + disconnect every client) | "resume" (mount again)
#             | "mounts <json list of {path, launch}>" (replace every mount: clients reconnect) | EOF (exit)
import json
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
cfg = json.loads(sys.argv[1])

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(str(cfg.get("port", 0)))
# Without a thread pool every client shares the main loop: a slow reader stalls the others.
server.get_thread_pool().set_max_threads(16)

if cfg.get("username"):
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
    basic = GstRtspServer.RTSPAuth.make_basic(cfg["username"], cfg.get("password") or "")
    auth.add_basic(basic, token)
    server.set_auth(auth)


def make_factory(m):
    f = GstRtspServer.RTSPMediaFactory()
    f.set_launch(m["launch"])
    # Shared: one encoder per mount however many readers (recorder, live relay, watchdog). A looped
    # file is not live: a second reader's PLAY (ffmpeg always sends Range: npt=0-) would seek the
    # shared pipeline under the first and get 503, so each reader gets its own (cheap: no encoder).
    f.set_shared(m.get("shared", True))
    if cfg.get("username"):
        perms = GstRtspServer.RTSPPermissions()
        perms.add_role_from_structure(
            Gst.Structure.new_from_string(
                "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )
        )
        f.set_permissions(perms)
    return f


def mount_all():
    mounts = server.get_mount_points()
    for m in cfg["mounts"]:
        mounts.add_factory("/" + m["path"], make_factory(m))


def unmount_all():
    mounts = server.get_mount_points()
    for m in cfg["mounts"]:
        mounts.remove_factory("/" + m["path"])
    server.client_filter(lambda srv, client, *a: GstRtspServer.RTSPFilterResult.REMOVE)


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if not cfg.get("dropped"):
    mount_all()
if server.attach(None) == 0:
    sys.stderr.write(f"cannot listen on 127.0.0.1:{cfg.get('port', 0)}\n")
    sys.exit(1)
say({"port": server.get_bound_port()})
loop = GLib.MainLoop()


def on_stdin(channel, condition):
    if condition & (GLib.IO_HUP | GLib.IO_ERR):
        loop.quit()
        return False
    line = channel.readline()
    if not line:
        loop.quit()
        return False
    cmd = line.strip()
    if cmd == "drop":
        unmount_all()
    elif cmd == "resume":
        mount_all()
    elif cmd.startswith("mounts "):
        unmount_all()
        cfg["mounts"] = json.loads(cmd[len("mounts "):])
        mount_all()
        cmd = "mounts"
    say({"ok": cmd})
    return True


ch = GLib.IOChannel.unix_new(sys.stdin.fileno())
GLib.io_add_watch(ch, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
loop.run()
