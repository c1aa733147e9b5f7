"""The benchmark's bookkeeping: rounds, medians, ratios and its argument checks (no timing is asserted)."""

import keras
import pytest

from benchmarks import cli, inputs, processes, report, timing
from benchmarks.cases import library_model

SMALL_TOY = dict(model="wgan-gp", nets="mlp", batch=32, n_critic=2, hidden=16)


def test_ratio_is_that_of_the_medians_with_the_range_of_the_rounds():
    rounds = [
        {"library_long_s": 2.0, "baseline_long_s": 2.2},
        {"library_long_s": 4.0, "baseline_long_s": 3.0},
        {"library_long_s": 2.5, "baseline_long_s": 2.5},
    ]
    row = {"library_long_s": 2.5, "baseline_long_s": 2.5, "rounds": rounds}
    assert report.ratios(row, "long_s") == "1.00x [0.75, 1.10]"
    assert report.ratios({**row, "rounds": rounds[:1]}, "long_s") == "1.00x"


def test_one_round_when_the_time_budget_is_spent_and_repeats_otherwise():
    once = timing.time_case(SMALL_TOY, iterations=4, warmup=1, short_calls=2, repeats=3, seconds=0.0)
    assert len(once["rounds"]) == 1
    thrice = timing.time_case(SMALL_TOY, iterations=4, warmup=1, short_calls=2, repeats=3, seconds=600.0)
    assert len(thrice["rounds"]) == 3
    for key in ("library_long_s", "baseline_long_s", "library_short_s", "baseline_short_s"):
        samples = sorted(r[key] for r in thrice["rounds"])
        assert thrice[key] == samples[1]  # the median
    assert 0 <= thrice["library_tail_s"] < thrice["library_long_s"]
    assert thrice["flops_per_iteration"] > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--iterations", "8", "--spe", "5"], "multiple of --spe"),
        (["--iterations", "10", "--short-calls", "4", "--spe", "1"], "multiple of --short-calls"),
        (["--repeats", "0"], "--repeats >= 1"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(argv, message, capsys):
    with pytest.raises(SystemExit):
        cli.main(argv)
    assert message in capsys.readouterr().err


def test_the_input_table_gives_each_kinds_rate_over_tf_data_per_round():
    rates = {"tensorflow": {"tf.data": [10.0, 20.0, 16.0], "toy": [9.0, 22.0, 16.0]}}
    table = report.input_table(rates)
    assert "| tensorflow | tf.data | 16.00 [10.00, 20.00] | - |" in table
    # per round 0.90, 1.10, 1.00: the median of the ratios, not the ratio of the medians
    assert "| tensorflow | toy | 16.00 [9.00, 22.00] | 1.00x [0.90, 1.10] |" in table


def test_every_input_kind_trains_the_case():
    kinds = ["array", "toy", "pydataset"] + (["tf.data"] if processes.installed("tensorflow") else [])
    case = dict(SMALL_TOY, batch=8)
    model = library_model(case, seed=0)  # one compiled step for every kind
    for done, kind in enumerate(kinds, 1):
        assert inputs.input_rate(kind, case, iterations=2, warmup=1, model=model) > 0
        assert int(keras.ops.convert_to_numpy(model.generator_iterations)) == 3 * done  # warm-up and timed fit


def test_an_unknown_input_kind_is_named():
    with pytest.raises(ValueError, match="input kind must be one of"):
        inputs.input_rate("csv", SMALL_TOY, iterations=2, warmup=1)
