"""The Markdown tables: ``latest.md`` (cases per backend) and ``inputs.md`` (rates per input kind)."""

import numpy as np


def _common_scale(results):
    """One matmul rate (the best any backend reached) and one FLOP count per case.

    The count is XLA's cost analysis where JAX ran (after XLA removed what
    the step does not need), else TensorFlow's profiler's, so that every
    backend's figure is a fraction of the same work and the same machine.
    """
    rate = max(result["matmul_gflop_per_s"] for result in results)
    flops = {}
    for result in sorted(results, key=lambda r: r["machine"]["backend"] == "jax"):
        for row in result["results"]:
            flops[row["case"]] = row["gflop_per_iteration"]
    return rate, flops


def ratios(row, figure):
    """``loop / library`` of the medians, and the range over the rounds (one round: no range)."""
    ratio = f"{row[f'baseline_{figure}'] / row[f'library_{figure}']:.2f}x"
    rounds = row.get("rounds", [])
    if len(rounds) < 2:
        return ratio
    each = [r[f"baseline_{figure}"] / r[f"library_{figure}"] for r in rounds]
    return f"{ratio} [{min(each):.2f}, {max(each):.2f}]"


def markdown(results):
    """The tables of ``latest.md``: one row per case and backend."""
    rate, flops = _common_scale(results)
    lines = []
    for result in results:
        m = result["machine"]
        versions = {"jax": f"JAX {m.get('jax')}", "torch": f"PyTorch {m.get('torch')}"}.get(
            m["backend"], f"TensorFlow {m.get('tensorflow')}"
        )
        lines.append(
            f"- {m['backend']}: {m['cpu']}, {m['cpu_count']} cores, devices {', '.join(m['devices']) or 'CPU only'}; "
            f"{versions}, Keras {m['keras']}; measured matmul rate {result['matmul_gflop_per_s']:.1f} GFLOP/s "
            "(float32)"
            + (
                f", {result['matmul_bf16_gflop_per_s']:.1f} GFLOP/s (bfloat16)"
                if "matmul_bf16_gflop_per_s" in result
                else ""
            )
            + "."
        )
    lines += [
        "",
        "| case | backend | it. | rounds | one fit: library / loop (s) | ratio [range] "
        "| short fits: library / loop (s) | ratio [range] | in-fit it/s | tail after last batch (s) "
        "| with steps_per_execution (s) | images/s | GFLOP / it | library % of matmul rate |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for r in result["results"]:
            short = "- | -"
            if "library_short_s" in r:
                short = f"{r['library_short_s']:.2f} / {r['baseline_short_s']:.2f} | {ratios(r, 'short_s')}"
            spe = f"{r['library_spe_long_s']:.2f} (k = {r['library_spe']})" if "library_spe_long_s" in r else "-"
            lines.append(
                f"| {r['case']} | {result['machine']['backend']}{' (XLA)' if r['library_jit_compile'] else ''} "
                f"| {r['iterations']} | {len(r.get('rounds', [r]))} "
                f"| {r['library_long_s']:.2f} / {r['baseline_long_s']:.2f} "
                f"| {ratios(r, 'long_s')} | {short} | {r['library_in_fit_it_per_s']:.2f} "
                f"| {r['library_tail_s']:.2f} | {spe} | {r['images_per_s']:.0f} | {flops[r['case']]:.2f} "
                f"| {100 * r['iterations'] * flops[r['case']] / r['library_long_s'] / rate:.0f}% |"
            )
    lines += [
        "",
        "Ratio: the plain loop's wall time over the library's (above 1: the library is faster), the ratio of "
        "the medians over the rounds, with the range of the rounds' own ratios. "
        "Times are whole calls: `fit()` with its start-up and teardown; the loop synchronised at the end. "
        f"Work per iteration: XLA's count where JAX ran, else TensorFlow's profiler's; the matmul rate is the "
        f"best measured here ({rate:.1f} GFLOP/s).",
    ]
    return "\n".join(lines) + "\n"


def input_table(rates):
    """``inputs.md``: per backend and kind, the median rate and, per round, the rate over tf.data's.

    ``rates``: ``{backend: {kind: [it/s per round]}}``.
    """
    lines = ["| backend | input | it/s, median [range] | / tf.data, median [range] |", "|---|---|---|---|"]
    for backend, kinds in rates.items():
        reference = kinds.get("tf.data")
        for kind, values in kinds.items():
            cell = f"{np.median(values):.2f} [{min(values):.2f}, {max(values):.2f}]"
            ratio = "-"
            if reference and kind != "tf.data":
                each = [v / r for v, r in zip(values, reference)]
                ratio = f"{np.median(each):.2f}x [{min(each):.2f}, {max(each):.2f}]"
            lines.append(f"| {backend} | {kind} | {cell} | {ratio} |")
    return "\n".join(lines) + "\n"
