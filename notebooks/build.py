#!/usr/bin/env python3
"""Builds notebooks/NN-name.ipynb from notebooks/src/NN-name.go.md.

Source format: cells separated by lines "# %% md" (markdown), "# %%" (Go code for the
GoNB kernel) or "# %% setup" (Go code shown collapsed: imports and helpers a reader can skip). Every notebook gets the same first cell, which pins GoNB's module to this
checkout of convlens (GoNB's autoget would ask the Go proxy for @latest, which is refused
here). Run without arguments to rebuild all; with --check to fail if any is stale (cell
types and sources differ; metadata, key order and outputs do not count); with
--check-file FILE NAME to check one notebook FILE (e.g. a copy saved by JupyterLab) against
src/NAME.go.md.
"""
import glob, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
PIN = ("!*ROOT=${CONVLENS_ROOT:-$GONB_DIR/..}; "
       "go mod edit -require=github.com/convlens/convlens@v0.0.0 -replace=github.com/convlens/convlens=$ROOT "
       "-require=github.com/janpfeifer/gonb@v0.11.1 && cat $ROOT/go.sum >> go.sum && echo \"convlens linked\"")

# The pin cell is plumbing: JupyterLab shows it collapsed (one click opens it).
PIN_METADATA = {"jupyter": {"source_hidden": True}, "tags": ["convlens-setup"]}

def cells_of(text):
    cells, kind, lines = [], None, []
    for line in text.splitlines():
        if line.strip() in ("# %% md", "# %%", "# %% setup"):
            if kind is not None:
                cells.append((kind, "\n".join(lines).strip("\n")))
            kind, lines = {"# %% md": "markdown", "# %%": "code", "# %% setup": "setup"}[line.strip()], []
        else:
            lines.append(line)
    if kind is not None:
        cells.append((kind, "\n".join(lines).strip("\n")))
    return cells

def build(src):
    cells = [("setup", PIN)] + cells_of(open(src).read())
    nb = {
        "cells": [
            {"cell_type": "markdown" if k == "markdown" else "code", "id": f"c{i:02d}",
             "metadata": PIN_METADATA if k == "setup" else {}, "source": s.splitlines(True),
             **({"outputs": [], "execution_count": None} if k != "markdown" else {})}
            for i, (k, s) in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"},
                     "language_info": {"name": "go"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"

def cells_that_matter(text):
    """The cells' types and sources: what --check compares. Opening a notebook in
    JupyterLab fills in metadata, reorders keys and may save outputs; none of that makes it
    stale."""
    try:
        nb = json.loads(text)
    except (TypeError, ValueError):
        return None
    return [(c.get("cell_type"), "".join(c.get("source", []))) for c in nb.get("cells", [])]

def main():
    if "--check-file" in sys.argv:
        i = sys.argv.index("--check-file")
        path, name = sys.argv[i + 1], sys.argv[i + 2]
        if cells_that_matter(open(path).read()) != cells_that_matter(build(os.path.join(HERE, "src", name + ".go.md"))):
            sys.exit(f"{path} differs from src/{name}.go.md in its cells' types or sources")
        return
    check = "--check" in sys.argv
    stale = []
    for src in sorted(glob.glob(os.path.join(HERE, "src", "*.go.md"))):
        out = os.path.join(HERE, os.path.basename(src)[:-len(".go.md")] + ".ipynb")
        text = build(src)
        old = open(out).read() if os.path.exists(out) else None
        if check:
            if cells_that_matter(old) != cells_that_matter(text):
                stale.append(out)
        elif old != text:
            open(out, "w").write(text)
            print("wrote", out)
    if stale:
        sys.exit("stale notebooks (run notebooks/build.py): " + ", ".join(stale))

main()
