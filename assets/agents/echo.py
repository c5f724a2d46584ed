#!/usr/bin/env python3
"""The smallest useful agent: echoes each task back (the example of switchyard_agent.py)."""

import os
import sys

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from switchyard_agent import Agent, RetryableError  # noqa: E402


def echo(task):
    if "fail" in task.description:
        raise RetryableError("asked to fail: " + task.description)
    task.progress(0.5, "echoing")
    return {"echo": task.description, "inputs": sorted(task.inputs), "by": task.agent_id}


if __name__ == "__main__":
    # It bids in auctions at a low declared price (SWITCHYARD_PRICE and friends override it).
    agent = Agent(sys.argv[1] if len(sys.argv) > 1 else "echo", ["echo"], price=0.5, eta_ms=50, confidence=0.9)
    agent.on_task(echo).on_ballot(lambda ballot: ("yes", "echo agrees")).run()
