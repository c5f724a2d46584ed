"""Write a Switchyard agent in a dozen lines (Python 3, standard library only).

    import sys, os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from switchyard_agent import Agent

    def write(task):
        task.progress(0.5, "thinking")
        return {"text": "draft of " + task.description}

    Agent("writer", ["writing"]).on_task(write).run()

The helper speaks protocol version 1 (see assets/protocol.md): it prints the hello, sends a
heartbeat every `heartbeat_s` seconds from a background thread, runs each task in its own thread
(so cancel and shutdown are handled while tasks run), turns the handler's return value into a
`result` and an exception into an `error` (retryable if it is a `RetryableError`), answers calls
for proposals with a bid at its declared `price` / `eta_ms` / `confidence` (or `decline` when it
declared no price) and ballots with `abstain` unless `on_cfp` / `on_ballot` say otherwise, and
exits on `shutdown` or at the end of its input.

Environment:
    SWITCHYARD_AGENT_ID      overrides the agent id (so one script can serve several agents)
    SWITCHYARD_HEARTBEAT_MS  overrides the heartbeat interval; 0 turns heartbeats off
    SWITCHYARD_PRICE, SWITCHYARD_ETA_MS, SWITCHYARD_CONFIDENCE
                             override the declared bid (so a scenario can price each agent)
    SWITCHYARD_WORK_MS       time each task takes before its handler runs (a demo's pace; a
                             cancel or shutdown during it stops the task); 0 by default
"""

import io
import json
import os
import sys
import threading
import traceback

PROTOCOL = 1


class RetryableError(Exception):
    """Raise from a task handler to report an error that another attempt may not hit."""


class Cancelled(Exception):
    """Raised by `Task.check_cancelled()` once the coordinator cancelled the attempt."""


class Task:
    """One attempt of a task, as given to the `on_task` handler."""

    def __init__(self, agent, msg):
        self._agent = agent
        self.agent_id = agent.id
        self.id = msg["id"]
        self.attempt = msg["attempt"]
        self.capability = msg.get("capability", "")
        self.description = msg.get("description", "")
        self.inputs = msg.get("inputs") or {}
        self.deadline_ms = msg.get("deadline_ms")
        # Set for a planner task: its output may carry {"subtasks": [...]}, at most this many.
        self.max_subtasks = msg.get("max_subtasks")
        self.cancel_event = threading.Event()

    @property
    def cancelled(self):
        return self.cancel_event.is_set()

    def check_cancelled(self):
        if self.cancelled:
            raise Cancelled()

    def progress(self, fraction, note=None):
        msg = {"type": "progress", "task": self.id, "attempt": self.attempt,
               "fraction": max(0.0, min(1.0, float(fraction)))}
        if note is not None:
            msg["note"] = str(note)
        self._agent.send(msg)

    def log(self, level, message):
        self._agent.log(level, "[%s#%s] %s" % (self.id, self.attempt, message))


class Agent:
    def __init__(self, agent_id, capabilities, heartbeat_s=1.0, price=None, eta_ms=1000, confidence=0.8):
        self.id = os.environ.get("SWITCHYARD_AGENT_ID") or agent_id
        env = os.environ.get
        self.price = float(env("SWITCHYARD_PRICE")) if env("SWITCHYARD_PRICE") else price
        self.eta_ms = int(env("SWITCHYARD_ETA_MS") or eta_ms)
        self.confidence = float(env("SWITCHYARD_CONFIDENCE") or confidence)
        self.capabilities = list(capabilities)
        env_ms = os.environ.get("SWITCHYARD_HEARTBEAT_MS")
        self.heartbeat_s = int(env_ms) / 1000.0 if env_ms else heartbeat_s
        self.work_s = int(env("SWITCHYARD_WORK_MS") or 0) / 1000.0
        self._task_handler = None
        self._cfp_handler = self._declared_bid
        self._ballot_handler = lambda ballot: "abstain"
        self._help_handler = None
        self._help_response_handler = lambda msg: None
        self._broadcast_handler = lambda msg: None
        self._shutdown_handler = lambda: None
        self._out_lock = threading.Lock()
        self._tasks = {}  # (task id, attempt) -> Task
        self._tasks_lock = threading.Lock()
        self._stop = threading.Event()
        self._next_help = 0
        self._out = sys.stdout.buffer
        self._in = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")

    # ---- configuration (each returns the agent, so calls chain) ----

    def on_task(self, fn):
        """fn(task) -> output (any JSON value). Raise to fail the attempt."""
        self._task_handler = fn
        return self

    def on_cfp(self, fn):
        """fn(cfp dict) -> None to decline, a reason string to decline with it, or a bid
        {"price": p, "eta_ms": n, "confidence": c}."""
        self._cfp_handler = fn
        return self

    def _declared_bid(self, cfp):
        """The default answer to a cfp: the declared price, eta and confidence, or a decline."""
        if self.price is None:
            return "no price declared"
        return {"price": self.price, "eta_ms": self.eta_ms, "confidence": self.confidence}

    def on_ballot(self, fn):
        """fn(ballot dict) -> "yes" | "no" | "abstain", or (choice, reason)."""
        self._ballot_handler = fn
        return self

    def on_help(self, fn):
        """fn(help_request dict) -> answer string. Without a handler the agent says it cannot help."""
        self._help_handler = fn
        return self

    def on_broadcast(self, fn):
        """fn(broadcast dict): an announcement to the team (`text`); nothing to answer."""
        self._broadcast_handler = fn
        return self

    def on_help_response(self, fn):
        """fn(help_response dict): the answer to one of this agent's request_help calls."""
        self._help_response_handler = fn
        return self

    def on_shutdown(self, fn):
        self._shutdown_handler = fn
        return self

    # ---- sending ----

    def send(self, msg):
        line = (json.dumps(msg, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        with self._out_lock:
            try:
                self._out.write(line)
                self._out.flush()
            except (BrokenPipeError, ValueError):
                # The coordinator is gone: nobody is listening any more.
                self._stop.set()

    def log(self, level, message):
        if level not in ("error", "warn", "info", "debug"):
            level = "info"
        self.send({"type": "log", "level": level, "message": str(message)})

    def request_help(self, capability, question):
        """Asks the team; the answer arrives through on_help_response. Returns the request id."""
        with self._tasks_lock:
            self._next_help += 1
            help_id = "%s-help-%d" % (self.id, self._next_help)
        self.send({"type": "request_help", "id": help_id, "capability": capability, "question": question})
        return help_id

    # ---- the loop ----

    def run(self):
        self.send({"type": "hello", "protocol": PROTOCOL, "agent": self.id, "capabilities": self.capabilities})
        if self.heartbeat_s > 0:
            threading.Thread(target=self._heartbeats, daemon=True).start()
        while not self._stop.is_set():
            line = self._in.readline()
            if not line:
                break  # end of input: the coordinator is gone or closed our stdin
            line = line.strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
                kind = msg["type"]
            except (ValueError, KeyError, TypeError) as e:
                self.log("error", "unreadable message (%s): %.200s" % (e, line))
                continue
            try:
                if kind == "shutdown":
                    break
                self._dispatch(kind, msg)
            except Exception as e:  # a handler failed: report it, keep serving
                traceback.print_exc(file=sys.stderr)
                self.log("error", "handling %s failed: %s" % (kind, e))
        self._finish()

    def _dispatch(self, kind, msg):
        if kind == "task":
            self._start_task(Task(self, msg))
        elif kind == "cancel":
            with self._tasks_lock:
                task = self._tasks.get((msg["task"], msg["attempt"]))
            if task is not None:
                task.cancel_event.set()
        elif kind == "cfp":
            answer = self._cfp_handler(msg)
            if isinstance(answer, dict):
                bid = {"type": "bid", "auction": msg["auction"], "price": self.price or 1.0, "eta_ms": self.eta_ms,
                       "confidence": self.confidence}
                bid.update(answer)
                self.send(bid)
            else:
                decline = {"type": "decline", "auction": msg["auction"]}
                if answer:
                    decline["reason"] = str(answer)
                self.send(decline)
        elif kind == "ballot":
            answer = self._ballot_handler(msg)
            choice, reason = answer if isinstance(answer, tuple) else (answer, None)
            vote = {"type": "vote", "proposal": msg["proposal"], "choice": choice}
            if reason:
                vote["reason"] = str(reason)
            self.send(vote)
        elif kind == "help_request":
            if self._help_handler is None:
                answer = "%s cannot help with %s" % (self.id, msg.get("capability", "that"))
            else:
                answer = str(self._help_handler(msg))
            self.send({"type": "help_response", "id": msg["id"], "answer": answer})
        elif kind == "help_response":
            self._help_response_handler(msg)
        elif kind == "broadcast":
            self._broadcast_handler(msg)
        else:
            self.log("error", "unknown message type %r (protocol %d)" % (kind, PROTOCOL))

    def _start_task(self, task):
        key = (task.id, task.attempt)
        with self._tasks_lock:
            self._tasks[key] = task
        threading.Thread(target=self._run_task, args=(task,), daemon=True).start()

    def _run_task(self, task):
        reply = None
        try:
            if self._task_handler is None:
                raise RuntimeError("agent %s has no task handler" % self.id)
            if self.work_s > 0 and self._stop.wait(self.work_s):
                return
            if task.cancelled:
                raise Cancelled()
            output = self._task_handler(task)
            json.dumps(output)  # fail here, as an error message, if the output is not JSON
            reply = {"type": "result", "task": task.id, "attempt": task.attempt, "output": output}
        except Cancelled:
            pass
        except RetryableError as e:
            reply = self._error(task, str(e) or "retryable error", True)
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            reply = self._error(task, "%s: %s" % (type(e).__name__, e), False)
        with self._tasks_lock:
            self._tasks.pop((task.id, task.attempt), None)
        if reply is not None and not task.cancelled:
            self.send(reply)

    @staticmethod
    def _error(task, message, retryable):
        return {"type": "error", "task": task.id, "attempt": task.attempt, "message": message,
                "retryable": retryable}

    def _heartbeats(self):
        while not self._stop.wait(self.heartbeat_s):
            self.send({"type": "heartbeat"})

    def _finish(self):
        self._stop.set()
        with self._tasks_lock:
            running = list(self._tasks.values())
        for task in running:
            task.cancel_event.set()
        try:
            self._shutdown_handler()
        finally:
            sys.stdout.flush()
