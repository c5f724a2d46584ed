#!/usr/bin/env python3
"""A team member that asks peers for help and answers their questions (the help demo and test).

A task whose description starts with "ask CAPABILITY:" puts the rest as a question to a peer with
that capability (`request_help`) and returns the answer it got; other tasks return their
description. It answers every help request, and lists the broadcasts it heard in its outputs.
Capabilities come from SWITCHYARD_CAPABILITIES (comma-separated, default "research").
"""

import os
import sys
import threading

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from switchyard_agent import Agent, RetryableError  # noqa: E402

heard = []
answers = {}
answered = threading.Condition()


def on_answer(msg):
    with answered:
        answers[msg["id"]] = msg
        answered.notify_all()


def work(task):
    out = {"by": task.agent_id, "heard": list(heard)}
    if not task.description.startswith("ask "):
        out["text"] = task.description
        return out
    capability, question = task.description[4:].split(":", 1)
    help_id = agent.request_help(capability.strip(), question.strip())
    with answered:
        if not answered.wait_for(lambda: help_id in answers, timeout=10):
            raise RetryableError("no help_response for " + help_id)
        reply = answers[help_id]
    out.update({"question": question.strip(), "answer": reply["answer"], "answered_by": reply["from"]})
    return out


if __name__ == "__main__":
    capabilities = os.environ.get("SWITCHYARD_CAPABILITIES", "research").split(",")
    agent = Agent(sys.argv[1] if len(sys.argv) > 1 else "helpful", capabilities)
    agent.on_task(work).on_help(lambda msg: "%s says: think about %s" % (agent.id, msg["question"]))
    agent.on_help_response(on_answer).on_broadcast(lambda msg: heard.append(msg["text"])).run()
