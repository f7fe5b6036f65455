"""PyTorch peer for bench/run.js: reads cases as JSON on stdin, prints median milliseconds as JSON.

Conv + ReLU in NCHW (PyTorch's default layout), max pooling, and one SGD step of the same small
convnet as the other peers. Inputs are random: only the timings are compared.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def measure(fn, min_reps=7, max_reps=50, budget=1.5):
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    if first < 1:
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_reps:
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
        if len(times) >= (3 if first > 1 else min_reps) and time.perf_counter() - start >= budget:
            break
        if first > 1 and len(times) >= 3:
            break
    return statistics.median(times)


def main():
    spec = json.load(sys.stdin)
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    results = {}
    with torch.no_grad():
        for case in spec["cases"]:
            kind = case["kind"]
            if kind == "conv":
                n, h, w, ci = case["inShape"]
                kh, kw, _, co = case["wShape"]
                x = torch.rand(n, ci, h, w)
                weight = torch.rand(co, ci, kh, kw) - 0.5
                results[case["id"]] = measure(lambda: F.relu(F.conv2d(x, weight, padding=(kh // 2, kw // 2))))
            elif kind == "pool":
                n, h, w, c = case["inShape"]
                x = torch.rand(n, c, h, w)
                k, s = case["ksize"], case["stride"]
                results[case["id"]] = measure(lambda: F.max_pool2d(x, k, s, ceil_mode=True))
    for case in spec["cases"]:
        if case["kind"] != "train":
            continue
        b, size, classes = case["batch"], case["size"], case["classes"]
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(32 * (size // 4) * (size // 4), classes),
        )
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x = torch.rand(b, 1, size, size)
        y = torch.randint(0, classes, (b,))

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        results[case["id"]] = measure(step)
    json.dump({"version": torch.__version__, "results": results}, sys.stdout)


main()
