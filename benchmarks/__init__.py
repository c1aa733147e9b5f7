"""Benchmark: the wall time of whole ``fit()`` calls, against a plain compiled loop, per backend.

    python -m benchmarks                       # every case, every installed backend
    python -m benchmarks --backends jax --cases toy_wgan_gp --iterations 30
    python -m benchmarks --accelerator --out DIR   # paper batch sizes and a paper-scale toy run
    python -m benchmarks --memory              # 20,000 iterations: resident memory
    python -m benchmarks --inputs --iterations 300 --repeats 3   # the toy case per input kind

A repository tool, not part of the installed package (the wheel holds
``wgan_keras`` only): run it from the root of a clone, where the package is
importable (installed, or on ``PYTHONPATH``). One module per job:
``cases`` (the cases and the library side), ``baselines`` (the plain loop),
``timing`` (rounds, matmul rate, the paper-scale toy run), ``inputs``
(``--inputs``), ``memory`` (``--memory``), ``report`` (the tables),
``processes`` (the fresh worker processes) and ``cli`` (the options).

What a user waits for is a whole ``fit()`` call, start-up and teardown
included, so that is what is timed, for each case and backend:

* ``long``: one ``fit`` of ``--iterations`` generator iterations;
* ``short``: ``--short-calls`` ``fit`` calls of ``iterations / short-calls``
  each (notebooks and the CLI call ``fit`` many times);
* ``in-fit``: the iteration rate between ``on_train_batch_end`` calls after
  warm-up (what a profiler of the loop would see);
* ``tail``: seconds from the last batch to ``fit`` returning;
* ``spe``: the long call again with ``compile(steps_per_execution=k)``.

Library and baseline are timed in alternation, in rounds (up to
``--repeats``, no new round after ``--seconds`` per case): on a shared or
virtual machine two back-to-back runs of the same code differ by a few
per cent, so the figures are medians over the rounds and the table gives
the range of the ratio.

The baseline is a plain compiled loop on identical networks, weights,
batches and optimizers, written the way most GAN code is written: on
TensorFlow a Python loop of critic steps inside one ``tf.function`` with
separate critic calls for real, fake and interpolated batches and a nested
tape; on JAX one ``jax.jit`` function with ``jax.value_and_grad`` (and a
nested ``jax.grad`` for the penalty) over the networks' stateless calls. Its
batches are prepared in memory beforehand, so it pays nothing for input; it
runs the same number of iterations and is synchronised at the end of each
run, as a user reading the results would be.

The floating-point work of one iteration is counted from the baseline's
compiled step (TensorFlow's profiler; XLA's cost analysis on JAX), and the
machine's own matrix-multiply rate is measured in the same process, so each
figure also reads as a fraction of what the machine can do.

``--inputs`` times the toy case (WGAN-GP, 3 x 512 MLPs, batch 256,
n_critic 5) fed each input a user passes (``INPUT_KINDS``: a ``tf.data``
pipeline of in-memory tensors, a numpy array, ``wk.data.toy_dataset``, a
user's ``PyDataset``) and the plain loop on batches in memory, every run
in a fresh process (a process's speed moves with what it ran before),
the kinds alternated within each round; it reports generator iterations
per second and, per round, each kind's rate over the ``tf.data`` one
(``inputs.json``, ``inputs.md``). The other figures feed the library a
numpy array of 8 iterations' worth of samples.

Results go to
``outputs/local/benchmarks/latest.json`` and ``latest.md`` (``--out`` elsewhere; the
committed figures in ``outputs/benchmarks/`` were made with ``--out outputs/benchmarks``).
"""
