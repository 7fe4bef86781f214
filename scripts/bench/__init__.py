"""Load benchmark: chatserver against a python-socketio reference server, side by side.

``python -m scripts.bench.run --help`` (or ``scripts/benchmark``) is the entry point; see
docs/performance.md for what each workload measures and the results of the last full run.
"""
