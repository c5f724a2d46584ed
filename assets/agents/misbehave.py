#!/usr/bin/env python3
"""An agent that misbehaves on purpose, to test the coordinator's defences (standard library only).

    python3 assets/agents/misbehave.py MODE [AGENT_ID]      (or MISBEHAVE=MODE in the environment)

Every mode except `silent` and `nohello` says a valid hello first (id `misbehave` by default,
capability `chaos`).

    garbage  prints non-JSON and invalid lines, then answers each task with a valid result
    crash    on a task, reports progress, writes to stderr and exits with status 3
    hang     says hello, then never writes again, ignores its input and SIGTERM (must be killed)
    flood    prints 2 MiB lines without end, each followed by a heartbeat; never reads its input
    noisy    writes to stderr (before the hello too, and one 20 000-character line), answers tasks
    silent   never says anything (a hello timeout)
    nohello  starts with a heartbeat instead of a hello
"""

import json
import os
import signal
import sys
import time


def send(msg):
    sys.stdout.write(json.dumps(msg, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def raw(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def hello(agent_id):
    send({"type": "hello", "protocol": 1, "agent": agent_id, "capabilities": ["chaos"]})


def tasks():
    """Yields each task message read from stdin; returns at shutdown or end of input."""
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("type") == "shutdown":
            return
        if msg.get("type") == "task":
            yield msg


def result(task, output):
    send({"type": "result", "task": task["id"], "attempt": task["attempt"], "output": output})


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MISBEHAVE", "")
    agent_id = sys.argv[2] if len(sys.argv) > 2 else "misbehave"
    if mode == "silent":
        time.sleep(3600)
        return
    if mode == "nohello":
        send({"type": "heartbeat"})
        time.sleep(3600)
        return
    if mode == "noisy":
        sys.stderr.write("starting up\nloading nothing in particular\n")
        sys.stderr.flush()
    hello(agent_id)

    if mode == "garbage":
        raw("this is not JSON")
        raw('{"type":"teleport","to":"mars"}')
        raw("[1, 2, 3]")
        raw('{"type":"result","task":"t","attempt":"one","output":null}')
        raw('{"type":"heartbeat"}')
        for task in tasks():
            raw("{ still not json")
            result(task, {"despite": "the garbage"})
    elif mode == "crash":
        for task in tasks():
            send({"type": "progress", "task": task["id"], "attempt": task["attempt"], "fraction": 0.3})
            sys.stderr.write("about to crash on %s\n" % task["id"])
            sys.stderr.flush()
            os._exit(3)
    elif mode == "hang":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            time.sleep(3600)
    elif mode == "flood":
        huge = "x" * (2 << 20)
        while True:
            raw(huge)
            send({"type": "heartbeat"})
    elif mode == "noisy":
        sys.stderr.write("y" * 20000 + "\n")
        sys.stderr.flush()
        for task in tasks():
            sys.stderr.write("working on %s\n" % task["id"])
            sys.stderr.flush()
            result(task, "ok")
    else:
        sys.stderr.write("unknown mode %r\n" % mode)
        sys.exit(2)


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, KeyboardInterrupt):
        os._exit(0)
