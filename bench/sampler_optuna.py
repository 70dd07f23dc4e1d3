#!/usr/bin/python3
"""The functions of bench/test_functions.h, searched by Debian's Optuna (python3-optuna) for
bench/sampler.sh. Prints the rows bench/sampler_bench prints: quality <function> <sampler>
<trials> <median over seeds>, and proposal_ms <finished trials> <ms per proposal> for TPE."""
import math
import statistics
import sys
import time
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")  # multivariate TPE is "experimental" in Optuna 3.1


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    u = x[1] - b * x[0] ** 2 + c * x[0] - 6
    return [u * u + 10 * (1 - t) * math.cos(x[0]) + 10]


A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
     [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(x):
    return [-sum(a * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6)))
                 for i, a in enumerate([1.0, 1.2, 3.0, 3.2]))]


def mixed(x):
    l, w = math.log10(x[0]) + 2, x[1] - 7
    return [l * l + w * w / 10 + [0.5, 0.0, 1.0][x[2]] + x[3] ** 2]


def zdt(x, concave):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    r = x[0] / g
    return [x[0], g * (1 - (r * r if concave else math.sqrt(r)))]


def unit(d):
    return [("x%d" % i, "uniform", 0, 1) for i in range(d)]


FUNCTIONS = [
    ("branin", [("x0", "uniform", -5, 10), ("x1", "uniform", 0, 15)], branin, 0.397887, None),
    ("hartmann6", unit(6), hartmann6, -3.32237, None),
    ("mixed", [("lr", "log", 1e-5, 1), ("width", "int", 1, 32), ("act", "choice", 3, 0),
               ("shift", "uniform", -2, 2)], mixed, 0, None),
    ("zdt1", unit(30), lambda x: zdt(x, False), 0, (1.1, 11)),
    ("zdt2", unit(30), lambda x: zdt(x, True), 0, (1.1, 11)),
]


def suggest(trial, space):
    out = []
    for name, kind, a, b in space:
        if kind == "uniform":
            out.append(trial.suggest_float(name, a, b))
        elif kind == "log":
            out.append(trial.suggest_float(name, a, b, log=True))
        elif kind == "int":
            out.append(trial.suggest_int(name, a, b))
        else:
            out.append(trial.suggest_categorical(name, list(range(a))))
    return out


def hypervolume(points, ref):  # two objectives
    front, best = 0.0, ref[1]
    for f1, f2 in sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1]):
        if f2 < best:
            front += (ref[0] - f1) * (best - f2)
            best = f2
    return front


def run(fn, sampler, at):
    name, space, f, minimum, ref = fn
    study = optuna.create_study(directions=["minimize"] * (2 if ref else 1), sampler=sampler)
    values, out = [], []
    for t in range(1, at[-1] + 1):
        trial = study.ask()
        v = f(suggest(trial, space))
        study.tell(trial, v if ref else v[0])
        values.append(v)
        if t in at:
            out.append(hypervolume(values, ref) if ref else min(v[0] for v in values) - minimum)
    return out


def samplers(fn, seed):
    multi = fn[4] is not None
    yield "optuna-tpe", optuna.samplers.TPESampler(multivariate=True, seed=seed)
    if multi:
        yield "optuna-nsga2", optuna.samplers.NSGAIISampler(seed=seed)
    yield "optuna-random", optuna.samplers.RandomSampler(seed=seed)


def quality(seeds):
    at = [25, 50, 100]
    for fn in FUNCTIONS:
        results = {}
        for seed in range(seeds):
            for label, sampler in samplers(fn, seed):
                results.setdefault(label, []).append(run(fn, sampler, at))
        for label, runs in results.items():
            for k, t in enumerate(at):
                print("quality\t%s\t%s\t%d\t%.6g" % (fn[0], label, t, statistics.median(r[k] for r in runs)),
                      flush=True)


def proposal_ms(sizes):
    name, space, f, _, _ = FUNCTIONS[1]
    dists = {n: optuna.distributions.FloatDistribution(a, b) for n, _, a, b in space}
    import random
    rng = random.Random(7)
    for n in sizes:
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(multivariate=True, seed=0))
        trials = []
        for _ in range(n):
            params = {k: rng.random() for k in dists}
            trials.append(optuna.trial.create_trial(params=params, distributions=dists,
                                                    value=f([params[k] for k, *_ in space])[0]))
        study.add_trials(trials)
        reps = 3
        t0 = time.perf_counter()
        for _ in range(reps):
            trial = study.ask()
            suggest(trial, space)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        print("proposal_ms\t%d\t%.3f" % (n, (time.perf_counter() - t0) * 1000 / reps), flush=True)


if __name__ == "__main__":
    quality(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
    proposal_ms([int(s) for s in sys.argv[2].split(",")] if len(sys.argv) > 2 else [100, 1000, 10000])
