#!/usr/bin/env python3
"""A research agent: summarises local text files named in a task (standard library only).

Files are named in the task's description or anywhere in its inputs (strings ending in .txt or
.md), relative to the `assets/` directory, e.g. "summarize corpus/rivers.txt". For each file the
output gives its word and line counts, its first two sentences and its five most frequent long
words; the work is deterministic. Paths outside `assets/` and missing files fail the attempt (not
retryable: another attempt would fail the same way).

    python3 assets/agents/summarize.py [AGENT_ID]     # default id: summarizer
"""

import os
import re
import sys
from collections import Counter

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from switchyard_agent import Agent  # noqa: E402

ASSETS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILE_NAME = re.compile(r"[A-Za-z0-9_./-]+\.(?:txt|md)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"[A-Za-z0-9']+")


def named_files(task):
    names = FILE_NAME.findall(task.description)

    def walk(value):
        if isinstance(value, str):
            names.extend(FILE_NAME.findall(value))
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(task.inputs)
    return list(dict.fromkeys(names))  # unique, in order of mention


def resolve(name):
    path = os.path.realpath(os.path.join(ASSETS, name))
    if os.path.commonpath([path, ASSETS]) != ASSETS:
        raise ValueError("%s is outside the assets directory" % name)
    if not os.path.isfile(path):
        raise FileNotFoundError("no file %s under assets/" % name)
    return path


def summarize_file(name):
    with open(resolve(name), encoding="utf-8") as f:
        text = f.read()
    words = WORD.findall(text)
    sentences = [s.strip() for s in SENTENCE_END.split(" ".join(text.split())) if s.strip()]
    counts = Counter(w.lower() for w in words if len(w) >= 5)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return {
        "path": name,
        "words": len(words),
        "lines": text.count("\n") + (0 if text.endswith("\n") or not text else 1),
        "sentences": len(sentences),
        "summary": " ".join(sentences[:2]),
        "top_words": [w for w, _ in top],
    }


def run(task):
    names = named_files(task)
    if not names:
        raise ValueError("the task names no .txt or .md file to summarize")
    files = []
    for i, name in enumerate(names):
        task.check_cancelled()
        files.append(summarize_file(name))
        task.log("debug", "read %s (%d words)" % (name, files[-1]["words"]))
        task.progress((i + 1) / len(names), name)
    return {"files": files, "total_words": sum(f["words"] for f in files)}


def bid(cfp):
    if cfp.get("capability") not in ("summarize", "research"):
        return "no such capability"
    return {"price": 1.0, "eta_ms": 200, "confidence": 0.9}


if __name__ == "__main__":
    agent_id = sys.argv[1] if len(sys.argv) > 1 else "summarizer"
    Agent(agent_id, ["summarize", "research"]).on_task(run).on_cfp(bid).run()
