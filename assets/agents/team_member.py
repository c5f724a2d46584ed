#!/usr/bin/env python3
"""A team member for mixed teams: writes short notes, bids in auctions and votes on ballots.

Its capabilities come from SWITCHYARD_CAPABILITIES (comma-separated, default "write,review"), its
bid from SWITCHYARD_PRICE / SWITCHYARD_ETA_MS / SWITCHYARD_CONFIDENCE (see switchyard_agent.py),
and its voting stance from SWITCHYARD_STANCE:
    approve   votes yes on every proposal
    cautious  votes no on proposals that mention production, yes on the rest (the default)
    abstain   abstains
"""

import os
import sys

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from switchyard_agent import Agent  # noqa: E402

STANCE = os.environ.get("SWITCHYARD_STANCE", "cautious")


def write(task):
    task.progress(0.5, "writing")
    sources = ", ".join(sorted(task.inputs)) or "no inputs"
    return {"text": "%s (from %s), by %s" % (task.description, sources, task.agent_id)}


def vote(ballot):
    question = ballot.get("question", "")
    if STANCE == "approve":
        return ("yes", "%s approves" % STANCE)
    if STANCE == "abstain":
        return "abstain"
    if "production" in question.lower():
        return ("no", "cautious about production")
    return ("yes", "looks fine")


if __name__ == "__main__":
    capabilities = os.environ.get("SWITCHYARD_CAPABILITIES", "write,review").split(",")
    agent = Agent(sys.argv[1] if len(sys.argv) > 1 else "member", capabilities, price=1.0, eta_ms=300)
    agent.on_task(write).on_ballot(vote).run()
