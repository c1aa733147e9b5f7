"""The command: ``python -m benchmarks`` (see the package's docstring); its workers re-invoke it."""

import argparse
import json
import os

import benchmarks
from benchmarks.cases import ACCELERATOR_CASES, BACKENDS, CASES
from benchmarks.inputs import INPUT_KINDS, input_rate, run_inputs
from benchmarks.memory import memory_profile
from benchmarks.processes import installed, run_worker
from benchmarks.report import input_table, markdown
from benchmarks.timing import machine_description, paper_scale_toy, run_cases


def _worker(args):
    if args.input_kind:
        rate = input_rate(args.input_kind, CASES["toy_wgan_gp"], args.iterations, args.warmup)
        result = {"machine": machine_description(), "kind": args.input_kind, "it_per_s": rate}
    elif args.accelerator_toy:
        rows = paper_scale_toy(args.accelerator_toy, seconds=args.toy_seconds)
        result = {"machine": machine_description(), "paper_scale_toy": rows}
    else:
        result = run_cases(
            args.cases,
            args.iterations,
            args.warmup,
            args.short_calls,
            args.spe,
            args.accelerator,
            args.repeats,
            args.seconds,
        )
    with open(args.worker, "w") as handle:
        json.dump(result, handle, indent=2)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=benchmarks.__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", default=None, choices=list(CASES) + list(ACCELERATOR_CASES))
    parser.add_argument("--backends", nargs="+", default=None, choices=BACKENDS, help="default: every one installed")
    parser.add_argument("--iterations", type=int, default=60, help="generator iterations of the long fit call")
    parser.add_argument("--short-calls", type=int, default=4, help="fit calls the same iterations are split into")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5, help="rounds of library and loop per case, at most")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="no new round once a case has run this long (one at least)"
    )
    parser.add_argument("--spe", type=int, default=5, help="steps_per_execution of the extra run (1: none)")
    parser.add_argument("--out", default=None, help="default: outputs/local/benchmarks")
    parser.add_argument("--memory", action="store_true", help="instead: a 20,000-iteration memory profile")
    parser.add_argument("--accelerator", action="store_true", help="the papers' GPU cases and a paper-scale toy run")
    parser.add_argument("--toy-iterations", type=int, default=20000, help="--accelerator: toy run length")
    parser.add_argument("--toy-seconds", type=float, default=None, help="--accelerator: toy run time limit per set")
    parser.add_argument(
        "--inputs", action="store_true", help="instead: the toy case per input kind, each run a fresh process"
    )
    parser.add_argument("--input-kinds", nargs="+", default=list(INPUT_KINDS), choices=INPUT_KINDS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--input-kind", default=None, choices=INPUT_KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--accelerator-toy", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.iterations < 4 or args.warmup < 1 or args.short_calls < 0 or args.spe < 1 or args.repeats < 1:
        parser.error("--iterations must be >= 4, --warmup >= 1, --short-calls >= 0, --spe >= 1 and --repeats >= 1.")
    timed_calls = not (args.inputs or args.input_kind)  # --inputs times one fit call per process
    if timed_calls and args.short_calls and args.iterations % args.short_calls:
        parser.error(f"--iterations ({args.iterations}) must be a multiple of --short-calls ({args.short_calls}).")
    if timed_calls and args.spe > 1 and args.iterations % args.spe:
        parser.error(f"--iterations ({args.iterations}) must be a multiple of --spe ({args.spe}).")
    if args.cases is None:
        args.cases = list(CASES) + (list(ACCELERATOR_CASES) if args.accelerator else [])
    if args.worker:
        return _worker(args)

    from wgan_keras.paths import outputs_dir

    out = args.out or outputs_dir("benchmarks")
    os.makedirs(out, exist_ok=True)
    if args.inputs:
        backends = args.backends or [b for b in BACKENDS if installed(b)]
        rates = run_inputs(backends, args.input_kinds, args.iterations, args.warmup, args.repeats)
        with open(os.path.join(out, "inputs.json"), "w") as handle:
            json.dump(
                {"machine": machine_description(), "iterations": args.iterations, "rates": rates}, handle, indent=2
            )
        text = input_table(rates)
        with open(os.path.join(out, "inputs.md"), "w") as handle:
            handle.write(text)
        print(text)
        return rates
    if args.memory:
        result = memory_profile()
        with open(os.path.join(out, "memory.json"), "w") as handle:
            json.dump({"machine": machine_description(), **result}, handle, indent=2)
        print(json.dumps(result))
        return None
    backends = args.backends or [b for b in BACKENDS if installed(b)]
    common = ["--cases", *args.cases, "--iterations", str(args.iterations), "--warmup", str(args.warmup)]
    common += ["--short-calls", str(args.short_calls), "--spe", str(args.spe), "--repeats", str(args.repeats)]
    common += ["--seconds", str(args.seconds)] + (["--accelerator"] if args.accelerator else [])
    results = [run_worker(backend, common) for backend in backends]
    report = {"results": results}
    if args.accelerator:
        toy = ["--accelerator-toy", str(args.toy_iterations)]
        if args.toy_seconds:
            toy += ["--toy-seconds", str(args.toy_seconds)]
        report["paper_scale_toy"] = run_worker("jax" if "jax" in backends else backends[0], toy)
    name = "accelerator" if args.accelerator else "latest"
    with open(os.path.join(out, f"{name}.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    text = markdown(results)
    if args.accelerator:
        text += "\nPaper-scale toy run (gan_toy.py's settings, WGAN-GP, 3 x 512 MLPs):\n\n"
        text += "| data | iterations | seconds | exact W1 | modes |\n|---|---|---|---|---|\n"
        for row in report["paper_scale_toy"]["paper_scale_toy"]:
            modes = f"{row['modes']}/{row['n_modes']}" if "modes" in row else "-"
            text += f"| {row['data']} | {row['iterations']} | {row['seconds']:.0f} | {row['w1']:.3f} | {modes} |\n"
    with open(os.path.join(out, f"{name}.md"), "w") as handle:
        handle.write(text)
    print(text)
    return report
