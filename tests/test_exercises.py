"""wk.exercises: the reference solutions pass, the deliberately wrong answers fail, nothing raises.

Runs on both backends. The wrong answers are the known faults of popular
ports (PAPERS.md, "Known faults") and a student's usual slips; each test
names the case that must expose it.
"""

import glob
import json
import os

import keras
import numpy as np
import pytest
import scipy.special
import wrong_answers as wrong
from conftest import jax_only, tensorflow_only
from keras import ops

import wgan_keras as wk
from wgan_keras.exercises import CHECKS, CheckResult, solutions, summary

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXERCISES = sorted(glob.glob(os.path.join(ROOT, "notebooks", "exercises", "*.ipynb")))


def check(name, fn, **kwargs):
    return CHECKS[name](fn, show=False, **kwargs)


# ------------------------------------------------------------ solutions pass
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_reference_solution_passes_every_case_of_its_check(name):
    result = check(name, getattr(solutions, name))
    assert result.passed, [(c.name, c.expected, c.received) for c in result.failed]
    assert len(result.cases) >= 3


@pytest.mark.parametrize("name", ["penalty", "one_sided_penalty"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_penalty_checks_pass_a_correct_penalty_whatever_weights_it_draws(name, seed):
    keras.utils.set_random_seed(seed)
    result = check(name, getattr(solutions, name))
    assert result.passed, [(c.name, c.expected, c.received) for c in result.failed]


def _library_penalty(one_sided):
    return lambda critic, real, fake: wk.losses.gradient_penalty(critic, real, fake, one_sided=one_sided)


def _library_modes(samples, centers, std):
    coverage = wk.metrics.mode_coverage(samples, centers, std)
    return coverage["modes"], coverage["high_quality"]


def _library_reverse_kl(counts):
    # mode_coverage's formula (scipy's rel_entr against the uniform histogram), on counts.
    return float(np.sum(scipy.special.rel_entr(counts / counts.sum(), np.full(len(counts), 1 / len(counts)))))


def _library_critic_update(critic, optimizer, real, fake, clip_value):
    """WGAN's own critic iteration (the body of fit's critic loop) around the given critic and optimizer."""
    generator = wk.nets.mlp_generator(2, (2,), hidden=4, depth=1, seed=0)
    model = wk.WGAN(generator, critic, n_critic=1, clip_value=clip_value, critic_warmup=False, seed=0)
    model.compile(critic_optimizer=optimizer)
    return model.critic_update_function()(real, fake)["critic_loss"]


LIBRARY = {
    "parallel_lines_distances": wk.data.parallel_lines_distances,
    "js": wk.divergences.js,
    "optimal_discriminator": wk.divergences.optimal_discriminator,
    "gan_value": wk.divergences.gan_value_at_optimum,
    "critic_loss": wk.losses.wasserstein_critic_loss,
    "generator_loss": wk.losses.wasserstein_generator_loss,
    "clip": wk.clipping.clip_variables,
    "critic_update": _library_critic_update,
    "interpolate": wk.losses.interpolate,
    "penalty": _library_penalty(False),
    "one_sided_penalty": _library_penalty(True),
    "median_filter": wk.plots.median_filter,
    "wasserstein_1d": wk.metrics.wasserstein1,
    "modes_captured": _library_modes,
    "reverse_kl": _library_reverse_kl,
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_library_function_an_exercise_reimplements_passes_its_check(name):
    """Any correct implementation passes: the library's own, written independently, does."""
    result = check(name, LIBRARY[name])
    assert result.passed, [(c.name, c.expected, c.received) for c in result.failed]


# ------------------------------------------------------------ wrong answers fail
WRONG = [
    # (check, wrong answer, a case that must fail)
    ("penalty", "penalty_norm_over_last_axis", "linear critic on images"),
    ("penalty", "penalty_gaussian_weights", "weights within [0, 1]"),
    ("penalty", "penalty_per_coordinate_weights", "points on the segments"),
    ("penalty", "penalty_one_weight_per_batch", "a fresh weight for each sample"),
    ("penalty", "penalty_without_epsilon", "flat critic: the gradient"),
    ("penalty", "penalty_squared_norm", "TF-GAN reference"),
    ("penalty", "penalty_stop_gradient", "linear critic on vectors (64, 3), ||A|| = 3: gradient"),
    ("penalty", "penalty_detached_input_gradient", "linear critic on images (8, 4, 4, 3), ||A|| = 0.5: gradient"),
    ("penalty", "penalty_as_float", "quadratic critic, a = [0.5, 1, 1.5]: gradient w.r.t. a"),
    ("one_sided_penalty", "one_sided_penalty_stop_gradient", "||A|| = 3: gradient"),
    ("one_sided_penalty", "penalty_two_sided", "||A|| = 0.5"),
    ("one_sided_penalty", "one_sided_penalty_gaussian_weights", "weights within [0, 1]"),
    ("interpolate", "interpolate_swapped", "eps = 1 gives the real samples"),
    ("interpolate", "interpolate_column", "images"),
    ("critic_loss", "critic_loss_sign_error", "TF-GAN vectors"),
    ("critic_loss", "critic_loss_sum", "a mean, not a sum"),
    ("critic_loss", "critic_loss_hard_coded", "random: "),
    ("critic_loss", "critic_loss_numpy", "TF-GAN vectors (4, 1): gradient"),
    ("generator_loss", "generator_loss_sign_error", "TF-GAN vector"),
    ("generator_loss", "generator_loss_through_numpy", "TF-GAN vector (4, 1): gradient"),
    ("clip", "clip_kernels_only", "biases within [-c, c]"),
    ("clip", "clip_without_assign", "kernels within [-c, c]"),
    ("clip", "clip_by_rescaling", "values already inside [-c, c] unchanged"),
    ("critic_update", "critic_update_ascends_the_loss", "the estimate E f(real) - E f(fake) on its batch rises"),
    ("critic_update", "critic_update_clips_first", "every variable within [-c, c]"),
    ("critic_update", "critic_update_without_clipping", "every variable within [-c, c]"),
    ("critic_update", "critic_update_clips_kernels_only", "every variable within [-c, c]"),
    ("critic_update", "critic_update_new_optimizer", "the optimizer passed in"),
    ("critic_update", "critic_update_summed_loss", "returns the loss"),
    ("parallel_lines_distances", "parallel_lines_distances_without_abs", "theta = -0.5"),
    ("parallel_lines_distances", "parallel_lines_distances_in_bits", "theta = 1"),
    ("js", "js_in_bits", "disjoint supports"),
    ("js", "js_as_kl", "symmetric"),
    ("js", "js_without_zero_convention", "0 log 0"),
    ("js", "js_overwrites_q", "Dirichlet pairs of 12 outcomes, as scipy"),
    ("optimal_discriminator", "optimal_discriminator_swapped", "disjoint parts"),
    ("gan_value", "gan_value_without_zero_convention", "disjoint supports"),
    ("median_filter", "median_filter_zero_padded", "first 50 points"),
    ("median_filter", "median_filter_nearest", "last 50 points"),
    ("wasserstein_1d", "wasserstein_1d_unsorted", "reverse order"),
    ("wasserstein_1d", "wasserstein_1d_mean_difference", "equal means, spreads 1 and 3"),
    ("wasserstein_1d", "wasserstein_1d_mean_difference", "bimodal"),
    ("modes_captured", "modes_captured_any_centre", "counts for B only"),
    ("modes_captured", "modes_captured_per_coordinate", "Euclidean"),
    ("reverse_kl", "reverse_kl_forward", "empty modes"),
]


@pytest.mark.parametrize("name, answer, case", WRONG, ids=[w[1] for w in WRONG])
def test_a_deliberately_wrong_answer_fails_the_case_that_exposes_it(name, answer, case):
    result = check(name, getattr(wrong, answer))
    assert not result.passed
    assert any(case in c.name for c in result.failed), [c.name for c in result.failed]


@jax_only
def test_a_one_sided_penalty_without_epsilon_fails_on_jax_where_its_weight_gradient_is_nan():
    failed = [c for c in check("one_sided_penalty", wrong.one_sided_penalty_without_epsilon).failed]
    assert [c.name for c in failed] == ["flat critic: the gradient w.r.t. its weights"]
    assert "NaN" in failed[0].received


@tensorflow_only
def test_a_one_sided_penalty_without_epsilon_passes_on_tensorflow_whose_sqrt_gradient_is_0_without_upstream():
    """Below norm 1 the relu sends no gradient back, and TensorFlow's sqrt gradient of a zero is then 0, not NaN."""
    assert check("one_sided_penalty", wrong.one_sided_penalty_without_epsilon).passed


@pytest.mark.parametrize(
    "name, answer",
    [
        ("penalty", "penalty_stop_gradient"),
        ("penalty", "penalty_detached_input_gradient"),
        ("penalty", "penalty_as_float"),
        ("one_sided_penalty", "one_sided_penalty_stop_gradient"),
    ],
)
def test_a_penalty_that_cannot_train_the_critic_fails_every_gradient_case_and_only_those(name, answer):
    """Issue 19, item 6: the right values, but no gradient reaches the critic's weights."""
    result = check(name, getattr(wrong, answer))
    failed = {c.name for c in result.failed}
    gradients = {c.name for c in result.cases if "gradient" in c.name and not c.name.startswith("flat critic")}
    assert len(gradients) == 5 and gradients <= failed
    assert failed - gradients <= {"flat critic: the gradient w.r.t. its weights"}


def test_the_penalty_gradient_cases_compare_with_the_closed_form_not_only_with_zero():
    """The right value with twice the right gradient (``2 P - stop_gradient(P)``) fails the gradient cases only."""

    def doubled(critic, real, fake):
        value = solutions.penalty(critic, real, fake)
        return 2.0 * value - ops.stop_gradient(value)

    result = check("penalty", doubled)
    gradients = {c.name for c in result.cases if c.name.endswith(("gradient", "gradient w.r.t. a"))}
    assert len(gradients) == 5 and {c.name for c in result.failed} == gradients


def test_a_penalty_returned_as_a_python_float_is_told_so_in_full(capsys):
    """Issue 19, item 10: what came back and what is expected, not a backend's conversion error cut short."""
    result = wk.exercises.check_penalty(wrong.penalty_as_float)
    printed = capsys.readouterr().out
    message = (
        "returned a Python float (4); expected a scalar tensor made with keras.ops, which training "
        "differentiates w.r.t. the critic's weights: float(), .item(), .numpy() and numpy functions cut that gradient"
    )
    failed = {c.name: c.received for c in result.failed}
    assert failed["linear critic on vectors (64, 3), ||A|| = 3: gradient"] == message
    assert f"    received: {message}" in printed.splitlines()
    assert "Cannot convert" not in printed and "Tracer" not in printed


def test_a_loss_computed_through_numpy_is_told_why_its_gradient_fails():
    failed = {c.name: c.received for c in check("generator_loss", wrong.generator_loss_through_numpy).failed}
    received = failed["TF-GAN vector (4, 1): gradient w.r.t. D(G(z))"]
    if wk.autodiff.backend() == "jax":
        assert received.startswith("turns a tensor into a Python or numpy value on the way (TracerArrayConversionError")
    else:
        assert received.startswith("all 0: no gradient reaches them")
    numpy = {c.name: c.received for c in check("critic_loss", wrong.critic_loss_numpy).failed}
    assert numpy["TF-GAN vectors (4, 1): gradient w.r.t. D(x) and D(G(z))"].startswith(
        "returned a numpy float32 (0.225)"
    )


def test_a_critic_loss_hard_coded_on_the_fixed_batches_fails_the_random_ones_on_every_seed():
    """Issue 19, item 8: the value looked up by batch size passes the four fixed cases, not a drawn batch."""
    for seed in range(20):
        result = check("critic_loss", wrong.critic_loss_hard_coded, seed=seed)
        assert [c.name for c in result.cases[:4] if c.passed] == [c.name for c in result.cases[:4]]
        assert any(c.name.startswith("random: ") for c in result.failed)


def test_the_difference_of_the_means_fails_w1_where_the_quantiles_cross_on_every_seed():
    """Issue 19, item 7; the random case is drawn again until its quantile functions cross."""
    for seed in range(50):
        result = check("wasserstein_1d", wrong.wasserstein_1d_mean_difference, seed=seed)
        assert result.cases[-1].name.startswith("random: ") and not result.cases[-1].passed


def scribbling(fn):
    """``fn``, which then writes ones over every numpy array it was given (a student's in-place slip)."""

    def wrapper(*args):
        result = fn(*args)
        result = np.array(result) if isinstance(result, np.ndarray) else result  # not a view of an argument
        if wk.autodiff.backend() == "jax":
            # JAX dispatches asynchronously and may read a numpy input in place on the CPU: the slip
            # happens after the function has computed its result, so wait for it before writing.
            import jax

            jax.block_until_ready(result)
        for argument in args:
            if isinstance(argument, np.ndarray) and argument.flags.writeable:
                argument[...] = 1
        return result

    return wrapper


@pytest.mark.parametrize("name", sorted(set(CHECKS) - {"clip"}))
def test_a_function_that_writes_into_its_arguments_cannot_change_what_it_is_compared_with(name):
    """Issue 19, item 9: expected values are computed before the call and the function gets copies."""
    result = check(name, scribbling(getattr(solutions, name)))
    assert result.passed, [(c.name, c.expected, c.received) for c in result.failed]


@pytest.mark.parametrize("name", sorted(CHECKS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_reference_solution_passes_the_random_cases_of_any_seed(name, seed):
    result = check(name, getattr(solutions, name), seed=seed)
    assert result.passed, [(c.name, c.expected, c.received) for c in result.failed]
    assert result.seed == seed and any(c.name.startswith("random: ") for c in result.cases)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_seed_a_check_prints_draws_the_same_cases_again(name, capsys):
    first = CHECKS[name](getattr(solutions, name))
    printed = capsys.readouterr().out.splitlines()
    assert (
        printed[1]
        == f"  random cases drawn with seed={first.seed} ({first.name}(..., seed={first.seed}) draws them again)"
    )
    again = check(name, getattr(solutions, name), seed=first.seed)
    assert [(c.name, c.expected) for c in again.cases] == [(c.name, c.expected) for c in first.cases]


def test_a_check_draws_its_seed_from_numpys_generator_so_a_seeded_notebook_repeats_it():
    keras.utils.set_random_seed(11)
    first, second = check("js", solutions.js), check("js", solutions.js)
    keras.utils.set_random_seed(11)
    assert check("js", solutions.js).seed == first.seed != second.seed


def test_a_check_given_a_bad_seed_names_the_argument():
    with pytest.raises(ValueError, match="seed must be"):
        wk.exercises.check_js(solutions.js, seed=-1)


def test_every_wrong_answer_is_tested():
    tested = {answer for _, answer, _ in WRONG} | {"one_sided_penalty_without_epsilon"}
    defined = {
        name
        for name, value in vars(wrong).items()
        if callable(value) and not name.startswith("_") and value.__module__ == wrong.__name__
    }
    assert defined == tested


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gaussian_interpolation_weights_fail_on_every_seed(seed):
    keras.utils.set_random_seed(seed)
    failed = {c.name for c in check("penalty", wrong.penalty_gaussian_weights).failed}
    assert {"interpolation weights within [0, 1]", "quadratic critic, mean over 2048 samples"} <= failed


# ------------------------------------------------------------ reporting
def not_written(*args, **kwargs):
    raise NotImplementedError("your code here")


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_a_function_that_raises_fails_every_case_and_the_check_does_not_raise(name):
    result = check(name, not_written)
    assert isinstance(result, CheckResult)
    assert result.cases and not result.passed
    assert {c.received for c in result.cases} == {"NotImplementedError: your code here"}


def test_a_check_prints_one_row_per_case_with_expected_received_and_verdict(capsys):
    result = wk.exercises.check_critic_loss(wrong.critic_loss_sign_error)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"check_critic_loss: 0 of {len(result.cases)} cases passed"
    rows = [line for line in printed if line.strip().startswith(("PASS", "FAIL"))]
    assert len(rows) == len(result.cases)
    assert "0.225" in rows[0] and "-0.225" in rows[0] and rows[0].strip().startswith("FAIL")


def test_a_result_that_is_not_a_scalar_is_a_failed_case_saying_so():
    result = check("generator_loss", lambda values: -values)
    assert not result.passed
    assert result.cases[0].received == "not a scalar: shape (4,)"


def test_a_check_given_no_function_names_the_argument():
    with pytest.raises(ValueError, match="penalty must be the function you wrote"):
        wk.exercises.check_penalty(None)


def test_summary_fails_loudly_only_when_every_check_is_required(capsys):
    good = check("critic_loss", solutions.critic_loss)
    bad = check("generator_loss", wrong.generator_loss_sign_error)
    assert summary([good, bad]) is False
    with pytest.raises(AssertionError, match="check_generator_loss: TF-GAN vector"):
        summary([good, bad], require_all=True)
    assert summary([good], require_all=True) is True
    with pytest.raises(AssertionError, match="No check ran"):
        summary([], require_all=True)
    assert "1 of 2 checks passed." in capsys.readouterr().out


def test_summary_counts_a_check_run_twice_once_with_its_latest_result():
    first = check("critic_loss", wrong.critic_loss_sign_error)
    again = check("critic_loss", solutions.critic_loss)
    assert summary([first, again], require_all=True) is True
    with pytest.raises(ValueError, match="results must hold"):
        summary(["not a result"])


# ------------------------------------------------------------ the notebooks
def cells(path):
    with open(path) as handle:
        return json.load(handle)["cells"]


def source(cell):
    return "".join(cell["source"])


def test_there_is_one_exercise_notebook_per_main_notebook():
    stems = [os.path.basename(p).split("_")[0] for p in EXERCISES]
    assert stems == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", EXERCISES, ids=os.path.basename)
def test_an_exercise_notebook_follows_the_conventions_and_is_committed_without_outputs(path):
    notebook = cells(path)
    name = os.path.basename(path)
    assert notebook[0]["cell_type"] == "markdown"
    badge = f"https://colab.research.google.com/github/wgan-keras/wgan_keras/blob/main/notebooks/exercises/{name}"
    assert badge in source(notebook[0])
    # Issue 20: the parameters cell first, then the setup cell (Colab install, backend, one library call).
    assert notebook[1]["metadata"].get("tags") == ["parameters"]
    for line in source(notebook[1]).splitlines():
        code = line.split("#", 1)[0]
        assert code.count("=") == 1 and "#" in line and ":" in code, line
    assert "solutions: bool = False" in source(notebook[1]) and 'backend: str = "tensorflow"' in source(notebook[1])
    assert source(notebook[2]).rstrip().splitlines()[-1].startswith("wk.params.setup(globals())")
    assert "wk.exercises.summary(results, require_all=solutions)" in source(notebook[-1])
    code = [c for c in notebook if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)


@pytest.mark.parametrize("path", EXERCISES, ids=os.path.basename)
def test_each_student_function_has_a_solution_cell_and_a_check_cell(path):
    text = [source(c) for c in cells(path)]
    written = [t for t in text if 'raise NotImplementedError("your code here")' in t]
    assert 3 <= len([t for t in text if "## Exercise" in t]) <= 5
    for name in CHECKS:
        if any(f"def {name}(" in t for t in written):
            assert f"if solutions:\n    {name} = wk.exercises.solutions.{name}" in text
            assert any(f"wk.exercises.check_{name}({name})" in t for t in text)


def test_every_check_is_used_by_an_exercise_notebook():
    text = "".join(source(c) for path in EXERCISES for c in cells(path))
    assert all(f"wk.exercises.check_{name}({name})" in text for name in CHECKS)
