#!/usr/bin/env python3
"""Helm's side of bench/helm.sh: renders CHART with VALUES N times in one process with Helm's
own engine (helm-python-sdk's libhelm, through the corpus's render.py), loading the chart each
time as a `helm template` would, and prints the milliseconds of each render and the bytes."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../shared/compat/helm-charts"))
sys.path.insert(0, os.environ.get("HELM_CORPUS", "/work/shared/compat/helm-charts"))
import render  # noqa: E402

chart, values_file, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
values = render.load_values([values_file])
opts = {"name": "rel", "namespace": "ns", "kube_version": "v1.30.0"}
for _ in range(count):
    start = time.perf_counter()
    out = render.render(chart, values, opts)
    elapsed = (time.perf_counter() - start) * 1000
    print(f"{elapsed:.2f} {sum(len(v) for v in out.values())}")
