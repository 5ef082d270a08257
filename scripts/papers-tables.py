#!/usr/bin/env python3
"""Print the IHDP tables of docs/papers.md from the committed results.

Usage: python3 scripts/papers-tables.py [RESULTS_DIR]

Reads results/<experiment>/summary.csv of the IHDP reproductions and prints, for
each, a markdown table: published number (mean ± standard error, transcribed from
the papers' Table 1), ours (mean ± standard error over replications) and the
difference of the means. The tables in docs/papers.md are this script's output, so
that they never drift from the committed results.
"""
import csv
import os
import sys

# Shalit, Johansson & Sontag (ICML 2017), Table 1, IHDP: (mean, se) per metric.
SHALIT = {
    "ols": ("OLS/LR-1 (`ols`)", {"pehe_in": (5.8, 0.3), "ate_error_in": (0.73, 0.04), "pehe_out": (5.8, 0.3), "ate_error_out": (0.94, 0.06)}),
    "ols_interact": ("OLS/LR-2 (`ols_interact`)", {"pehe_in": (2.4, 0.1), "ate_error_in": (0.14, 0.01), "pehe_out": (2.5, 0.1), "ate_error_out": (0.31, 0.02)}),
    "tarnet": ("TARNet", {"pehe_in": (0.88, 0.02), "ate_error_in": (0.26, 0.01), "pehe_out": (0.95, 0.02), "ate_error_out": (0.28, 0.01)}),
    "cfr-mmd": ("CFR-MMD", {"pehe_in": (0.73, 0.01), "ate_error_in": (0.30, 0.01), "pehe_out": (0.78, 0.02), "ate_error_out": (0.31, 0.01)}),
    "cfr-wass": ("CFR-WASS", {"pehe_in": (0.71, 0.02), "ate_error_in": (0.25, 0.01), "pehe_out": (0.76, 0.02), "ate_error_out": (0.27, 0.01)}),
}
# Shi, Blei & Veitch (NeurIPS 2019), Table 1, IHDP: absolute ATE error in / out of sample.
SHI = {
    "tarnet-shi": ("TARNet (the authors' Keras model, `dragonnet` with `propensity: inputs`)", {"ate_error_in": (0.16, 0.01), "ate_error_out": (0.21, 0.01)}),
    "tarnet-shi-treg": ("TARNet + t-reg", {"ate_error_in": (0.15, 0.01), "ate_error_out": (0.20, 0.01)}),
    "dragonnet": ("DragonNet", {"ate_error_in": (0.14, 0.01), "ate_error_out": (0.21, 0.01)}),
    "dragonnet-treg": ("DragonNet + t-reg", {"ate_error_in": (0.14, 0.01), "ate_error_out": (0.20, 0.01)}),
    "tarnet": ("cfrnet's TARNet (the Shalit runs; not in Shi's table)", {"ate_error_in": (None, None), "ate_error_out": (None, None)}),
}
METRIC = {"pehe_in": "√PEHE in", "ate_error_in": "ε_ATE in", "pehe_out": "√PEHE out", "ate_error_out": "ε_ATE out"}


def table(path, published):
    rows = {r["config"]: r for r in csv.DictReader(open(path, newline=""))}
    print("| method | metric | published | ours | ours − published |")
    print("|---|---|---|---|---|")
    notes = []
    for config, (name, metrics) in published.items():
        r = rows.get(config)
        if r is None:
            continue
        for metric, (pm, ps) in metrics.items():
            mean, se, n = r[f"{metric}_mean"], r[f"{metric}_se"], r[f"{metric}_n"]
            ours = f"{float(mean):.2f} ± {float(se):.2f}" if mean else "—"
            pub = f"{pm:.2f} ± {ps:.2f}" if pm is not None else "—"
            diff = f"{float(mean) - pm:+.2f}" if mean and pm is not None else "—"
            print(f"| {name} | {METRIC[metric]} | {pub} | {ours} | {diff} |")
        if int(r["failed"]):
            notes.append(f"`{config}` failed on {r['failed']} of {r['runs']} replications; its means are over the other {n}.")
    for n in notes:
        print(f"\n{n}")


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "results"
    for exp, published in [("ihdp-shalit", SHALIT), ("ihdp-shalit-100", SHALIT), ("ihdp-shi", SHI), ("ihdp-shi-100", SHI)]:
        path = os.path.join(results, exp, "summary.csv")
        if not os.path.exists(path):
            print(f"\n### {exp}: no results yet\n")
            continue
        print(f"\n### {exp} (`results/{exp}/`)\n")
        table(path, published)


if __name__ == "__main__":
    main()
