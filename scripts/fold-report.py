#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fold-report.py RESULTS.LOG ROOT [ROOT...]: where the time under ROOT goes.

Reads the folded stacks scripts/profile.sh prints ("COUNT a;b;...;leaf")
and, for each ROOT function, prints the tree of its callees with the
samples spent in each (inclusive), down to --depth levels and callees of at
least --min percent of ROOT's samples. Recursion into ROOT counts once.
"""
import argparse
import collections
import re
import sys


def read_stacks(path):
    stacks = []
    on = False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.replace("\r", "").rstrip("\n")
            if line.startswith("=== folded stacks"):
                on = True
                continue
            if not on:
                continue
            m = re.match(r"^(\d+) (\S+)$", line)
            if not m:
                if line.startswith("MTMAP-END"):
                    break
                continue
            stacks.append((int(m.group(1)), m.group(2).split(";")))
    return stacks


def tree(stacks, root):
    """Nested counters: node -> (count, children) for the frames under root."""
    top = [0, {}]
    for count, frames in stacks:
        if root not in frames:
            continue
        i = frames.index(root)
        top[0] += count
        node = top
        for fr in frames[i + 1:]:
            node = node[1].setdefault(fr, [0, {}])
            node[0] += count
    return top


def show(node, total, depth, maxdepth, minpct, out):
    for name, child in sorted(node[1].items(), key=lambda kv: -kv[1][0]):
        pct = 100.0 * child[0] / total
        if pct < minpct:
            continue
        out.write("%s%5.1f%%  %s\n" % ("  " * depth, pct, name))
        if depth + 1 < maxdepth:
            show(child, total, depth + 1, maxdepth, minpct, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("roots", nargs="+")
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--min", type=float, default=2.0)
    a = ap.parse_args()
    stacks = read_stacks(a.results)
    if not stacks:
        sys.exit("no folded stacks in %s" % a.results)
    allsamples = sum(c for c, _ in stacks)
    for root in a.roots:
        t = tree(stacks, root)
        print("%s: %d samples (%.1f%% of the sampled fault stacks)"
              % (root, t[0], 100.0 * t[0] / max(allsamples, 1)))
        if t[0]:
            show(t, t[0], 1, a.depth + 1, a.min, sys.stdout)
        print()


if __name__ == "__main__":
    main()
