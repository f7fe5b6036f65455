"""PyTorch peer for bench/run.js: reads cases as JSON on stdin, prints median milliseconds as JSON.

Conv + ReLU in NCHW (PyTorch's default layout), max pooling, one SGD step of the same small
convnet as the other peers (random inputs: only the timings are compared). With --serve, whole
MNIST epochs of the reference network on the same 8,000 digits convlens trains on (read from the
binary file the case names: float32 pixels, then int32 labels), Adam 1e-3, batch 64, reshuffled
every epoch, one per request. The thread count comes from the spec; bench/run.js also runs this
with OMP_WAIT_POLICY=PASSIVE and with one thread, and keeps each case's best.
"""
import json
import statistics
import sys
import time

import numpy as np
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


def reference_network(size, classes):
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * (size // 4) * (size // 4), classes),
    )


def mnist_trainer(case):
    """The reference network with Adam on the case's digits: returns (one epoch, accuracy on those digits)."""
    n, size = case["count"], case["size"]
    raw = np.fromfile(case["data"], dtype=np.uint8)
    x = torch.from_numpy(raw[: n * size * size * 4].view(np.float32).copy()).reshape(n, 1, size, size)
    y = torch.from_numpy(raw[n * size * size * 4 : n * size * size * 4 + n * 4].view(np.int32).astype(np.int64))
    model = reference_network(size, 10)
    opt = torch.optim.Adam(model.parameters(), lr=case["learningRate"])
    batch = case["batchSize"]

    def epoch():
        order = torch.randperm(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    def accuracy():
        with torch.no_grad():
            return (model(x).argmax(1) == y).float().mean().item()

    return epoch, accuracy


def serve():
    """--serve: MNIST epochs on request, so bench/run.js can interleave them with convlens' epochs.
    Reads a JSON line {threads, case}, runs a warm-up epoch and answers {ready, version}; then each
    line "epoch" is answered with {seconds} and "quit" with {trainAccuracy}."""
    spec = json.loads(sys.stdin.readline())
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    epoch, accuracy = mnist_trainer(spec["case"])
    epoch()
    print(json.dumps({"ready": True, "version": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "epoch":
            t = time.perf_counter()
            epoch()
            print(json.dumps({"seconds": time.perf_counter() - t}), flush=True)
        elif command == "quit":
            print(json.dumps({"trainAccuracy": accuracy()}), flush=True)
            return


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
        model = reference_network(size, classes)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x = torch.rand(b, 1, size, size)
        y = torch.randint(0, classes, (b,))

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        results[case["id"]] = measure(step)
    json.dump({"version": torch.__version__, "threads": torch.get_num_threads(), "results": results}, sys.stdout)


if "--serve" in sys.argv:
    serve()
else:
    main()
