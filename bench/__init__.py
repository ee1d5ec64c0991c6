"""Benchmark harness: Yishi's hub side by side with B0 (websockets) and B1 (python-socketio).

Run ``python3 -m bench.run --help``; docs/benchmarks.md explains the workloads.
"""
