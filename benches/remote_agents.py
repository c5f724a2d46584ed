#!/usr/bin/env python3
"""Remote agents' throughput and latency, end to end, over a real nats-server on loopback.

    cargo build --release --example echo_agent
    python3 benches/remote_agents.py [--tasks 20000] [--agents 4] [--delivery work_queue|direct]

It starts its own `nats-server -js` (free port, temporary directory, `max_payload: 32MB`), writes a scenario of N
independent tasks for A remote agents (kind "nats", max_concurrent 64 each), starts one bridge
per agent (`switchyard agent ... -- target/release/examples/echo_agent`), then runs the
coordinator: `switchyard run --headless --serve --journal`. Throughput is tasks over the
coordinator's wall time from its start to its exit (start-up, handshakes and the stream included);
latency is each attempt's dispatch-to-result time as the journal records it (`attempt_started` to
`attempt_succeeded`, in the run's milliseconds). Prints one line of figures.
"""

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWITCHYARD = os.path.join(ROOT, "target", "release", "switchyard")
ECHO = os.path.join(ROOT, "target", "release", "examples", "echo_agent")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, within=10.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    sys.exit("nats-server did not start")


def scenario(tasks, agents, delivery, concurrency):
    return {
        "name": "bench",
        "seed": 1,
        "allocation": "least_loaded",
        "resilience": {"heartbeat_timeout_ms": 0},
        "defaults": {"timeout_ms": 600000},
        "agents": [
            {"id": "a%d" % i, "capabilities": ["echo"], "kind": "nats", "delivery": delivery,
             "max_concurrent": concurrency}
            for i in range(agents)
        ],
        "tasks": [{"id": "t%d" % i, "capability": "echo", "description": "job %d" % i} for i in range(tasks)],
    }


def cpu_seconds(pid):
    """User + system CPU of a live process and its waited-for children, from /proc."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=20000)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--delivery", choices=["work_queue", "direct"], default="work_queue")
    ap.add_argument("--concurrency", type=int, default=64, help="tasks an agent takes at once")
    args = ap.parse_args()
    for path in (SWITCHYARD, ECHO):
        if not os.path.exists(path):
            sys.exit("%s is missing: cargo build --release --bin switchyard --example echo_agent" % path)
    server_bin = shutil.which("nats-server") or "/usr/sbin/nats-server"
    tmp = tempfile.mkdtemp(prefix="switchyard-bench-")
    procs = []
    try:
        port = free_port()
        url = "nats://127.0.0.1:%d" % port
        # The first event embeds the scenario: a large one needs more than the default 1 MB.
        conf = os.path.join(tmp, "server.conf")
        with open(conf, "w") as f:
            f.write("max_payload: 32MB\n")
        server = subprocess.Popen([server_bin, "-c", conf, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd",
                                   os.path.join(tmp, "js")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(server)
        wait_port(port)
        path = os.path.join(tmp, "bench.json")
        with open(path, "w") as f:
            json.dump(scenario(args.tasks, args.agents, args.delivery, args.concurrency), f)
        for i in range(args.agents):
            agent_id = "a%d" % i
            cmd = [SWITCHYARD, "agent", "--nats", url, "--run", "bench", "--id", agent_id, "--", ECHO, agent_id, "echo"]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        journal = os.path.join(tmp, "journal.jsonl")
        started = time.monotonic()
        run = subprocess.run([SWITCHYARD, "run", path, "--headless", "--serve", url, "--journal", journal],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = cpu_seconds(server.pid)
        bridges = procs[1:]
        bridge_cpu = sum(cpu_seconds(b.pid) for b in bridges)
        if run.returncode != 0:
            sys.exit("the run failed (%d): %s" % (run.returncode, run.stderr[-2000:]))
        began, latencies, done, first, last = {}, [], 0, None, 0
        with open(journal) as f:
            for line in f:
                if '"attempt_' not in line:
                    continue
                e = json.loads(line)
                key = (e["task"], e.get("attempt"))
                if e["kind"] == "attempt_started":
                    began[key] = e["t_ms"]
                    first = e["t_ms"] if first is None else first
                elif e["kind"] == "attempt_succeeded":
                    latencies.append(e["t_ms"] - began[key])
                    done += 1
                    last = e["t_ms"]
        latencies.sort()
        span = max(last - (first or 0), 1) / 1000.0
        print("delivery=%s tasks=%d agents=%d concurrency=%d wall=%.2fs tasks/s=%.0f (in the run: %.0f) latency_ms p50=%d p99=%d max=%d "
              "cpu_s coordinator=%.2f server=%.2f bridges+agents=%.2f" % (
                  args.delivery, done, args.agents, args.concurrency, wall, done / wall, done / span, percentile(latencies, 50),
                  percentile(latencies, 99), latencies[-1] if latencies else -1, usage.ru_utime + usage.ru_stime,
                  server_cpu, bridge_cpu))
    finally:
        for p in reversed(procs):
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
