"""The reference projections convlens' t-SNE and UMAP are checked against, on scikit-learn's
digits (1,797 images of 8×8, 64 values each, bundled: nothing is downloaded).

usage: projections.py OUTDIR
Writes OUTDIR/digits.npy ([1797, 64], values / 16), OUTDIR/labels.npy, OUTDIR/tsne.npy
(openTSNE 1.0.4, perplexity 30, random_state 0, one thread), OUTDIR/umap.npy (umap-learn
0.5.12, 15 neighbours, min_dist 0.1, random_state 0) and OUTDIR/trust.json (scikit-learn's
trustworthiness at 10 neighbours of each reference plane).
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    digits = load_digits()
    x = (digits.data / 16).astype(np.float32)
    np.save(os.path.join(out, "digits.npy"), x)
    np.save(os.path.join(out, "labels.npy"), digits.target.astype(np.float32))
    from openTSNE import TSNE

    tsne = np.asarray(TSNE(perplexity=30, random_state=0, n_jobs=1).fit(x), dtype=np.float32)
    import umap

    um = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=0).fit_transform(x).astype(np.float32)
    np.save(os.path.join(out, "tsne.npy"), tsne)
    np.save(os.path.join(out, "umap.npy"), um)
    trust = {name: float(trustworthiness(x, y, n_neighbors=10)) for name, y in (("tsne", tsne), ("umap", um))}
    with open(os.path.join(out, "trust.json"), "w") as f:
        json.dump(trust, f)
    print(trust)


if __name__ == "__main__":
    main()
