"""The peers' projection speed: openTSNE 1.0.4 and umap-learn 0.5.12 on 10,000 points of
84 values (ten Gaussian clusters, seeded; the size of LeNet's penultimate layer on MNIST's
test set), on the CPU.

usage: projection.py OUT.npy THREADS
Writes the points to OUT.npy and prints one JSON line per method: seconds and the 10-NN
recall of its plane (scikit-learn's NearestNeighbors).
"""
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import numpy as np
from sklearn.neighbors import NearestNeighbors


def recall(x, y, k=10):
    a = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x, return_distance=False)[:, 1:]
    b = NearestNeighbors(n_neighbors=k + 1).fit(y).kneighbors(y, return_distance=False)[:, 1:]
    return float(np.mean([len(set(p) & set(q)) / k for p, q in zip(a, b)]))


def main():
    out, threads = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 4, (10, 84))
    x = (centres[rng.integers(0, 10, 10000)] + rng.normal(0, 1, (10000, 84))).astype(np.float32)
    np.save(out, x)
    from openTSNE import TSNE

    t = time.perf_counter()
    y = np.asarray(TSNE(random_state=0, n_jobs=threads).fit(x))
    print(json.dumps({"what": "openTSNE", "seconds": time.perf_counter() - t, "recall": recall(x, y)}), flush=True)
    import umap

    t = time.perf_counter()
    y = umap.UMAP(random_state=0).fit_transform(x)  # a seed makes it single-threaded
    print(json.dumps({"what": "umap-learn", "seconds": time.perf_counter() - t, "recall": recall(x, y)}), flush=True)


if __name__ == "__main__":
    main()
