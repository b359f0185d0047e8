#!/usr/bin/env python3
"""Run a command and report the CPU seconds of its whole process tree (user + system of every
descendant that was waited for, from getrusage(RUSAGE_CHILDREN)), so the engine's and the
numpy peer's processes are measured the same way (bench/simulate.bench.ts).

usage: /usr/bin/python3 bench/reference/cpu_of.py CMD ARGS...
prints one JSON line {"cpuSeconds": ..., "wallSeconds": ..., "status": ..., "stdout": "..."}.
"""
import json
import resource
import subprocess
import sys
import time

t0 = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(r.stderr)
print(json.dumps({"cpuSeconds": ru.ru_utime + ru.ru_stime, "wallSeconds": wall, "status": r.returncode, "stdout": r.stdout}))
