"""Deleting a tf.data iterator waits for the autotuning thread's next wake-up (TensorFlow 2.21).

    python tools/tf_data_stall.py on 6 8     # autotune on: some deletions take seconds
    python tools/tf_data_stall.py off 6 8    # autotune off: none does

Each round creates an iterator, pulls from it for SECONDS while the CPU is busy, and deletes it. With
autotuning on, the deletion regularly blocks until about 10 ms x (2^k - 1) after the iterator was
created (10.23 s for k = 10): the model thread sleeps with a doubling period and the destructor joins it.
"""

import sys
import time

import tensorflow as tf

autotune, rounds, seconds = sys.argv[1] == "on", int(sys.argv[2]), float(sys.argv[3])
dataset = tf.data.Dataset.range(10**9).map(lambda i: tf.random.stateless_normal((256, 2), (i, 0)))
options = tf.data.Options()
options.autotune.enabled = autotune
dataset = dataset.prefetch(tf.data.AUTOTUNE).with_options(options)
w = tf.random.stateless_normal((1024, 1024), (1, 2))


@tf.function
def step(iterator):  # real multi-threaded work between two pulls
    y = tf.reduce_sum(next(iterator)) + w
    for _ in range(4):
        y = tf.matmul(y, w) / 32.0
    return tf.reduce_sum(y)


for _ in range(rounds):
    iterator, start = iter(dataset), time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(iterator).numpy()
    before = time.perf_counter()
    del iterator
    print(
        f"autotune {autotune}: deleting the iterator took {time.perf_counter() - before:.2f} s "
        f"({time.perf_counter() - start:.2f} s after it was created)",
        flush=True,
    )
