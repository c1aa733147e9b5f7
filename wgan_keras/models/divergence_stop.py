"""The divergence stop: training ends, with nothing saved, when a loss or a weight becomes NaN or infinite.

The flag lives on the device: every generator iteration updates it
(:meth:`DivergenceStop.divergence_flag`, called by
``trainers.base.Trainer.count_iteration``) and the host reads it only every
``divergence_check_every`` iterations and at every epoch end
(:meth:`DivergenceStop._after_steps`), so the check costs no
synchronisation per step.
"""

import math

from keras import ops

#: Generator iterations between two reads of the device-side divergence flag
#: (it is also read at the end of every epoch and before every save).
DIVERGENCE_CHECK_EVERY = 10


class TrainingDiverged(FloatingPointError):
    """A loss or a weight became NaN or infinite; training stopped.

    Raised from inside ``fit`` before any callback could save the diverged
    weights (and ``save``/``save_weights`` refuse a diverged model), so the
    last checkpoint written before it is the last good one.
    """

    def __init__(self, losses, generator_iteration):
        self.losses = dict(losses)
        self.generator_iteration = generator_iteration
        names = ", ".join(f"{k}={v}" for k, v in self.losses.items())
        super().__init__(
            f"Training diverged at generator iteration {generator_iteration}: {names} "
            "(losses are running means over the epoch; 'weights' means a network's weights became "
            "non-finite). Training was stopped and nothing was saved after it. Lower the learning rate, "
            "check the data for NaN, or resume from the last checkpoint."
        )


class DivergenceStop:
    """Mixin of ``AdversarialModel``: the device-side flag and its host-side reads.

    Needs ``diverged_at``, ``diverged_values``, ``metric_names``,
    ``divergence_check_every`` and the trainer's ``sync_state``.
    """

    def divergence_flag(self, diverged_at, diverged_values, logs, weights, iteration):
        """The new ``(diverged_at, diverged_values)`` after generator iteration ``iteration`` (1-based).

        Pure ``keras.ops``, run inside the step on the device.

        Losses alone can miss a divergence: in graph mode oneDNN's fused
        MatMul+ReLU maps NaN to 0, so NaN weights can yield finite losses
        for a step; the weights are checked too.
        """
        weights_finite = ops.all(ops.stack([ops.all(ops.isfinite(w)) for w in weights]))
        values = ops.stack(
            [ops.cast(logs[name], "float32") for name in self.metric_names]
            + [ops.where(weights_finite, 0.0, float("nan"))]
        )
        first = ops.logical_and(diverged_at < 0, ops.logical_not(ops.all(ops.isfinite(values))))
        return ops.where(first, iteration, diverged_at), ops.where(first, values, diverged_values)

    def _after_steps(self, steps, read_diverged_at):
        """Host side, after ``steps`` generator iterations were dispatched.

        Reads the device-side flag every ``divergence_check_every``
        iterations and at the end of every epoch (before Keras runs the
        epoch's callbacks), so a divergence stops training within that many
        iterations and no callback ever sees diverged weights.
        """
        self._next_generator_iteration += steps
        self._steps_since_check += steps
        self._steps_in_epoch += steps
        epoch_end = self._fit_steps_per_epoch is not None and self._steps_in_epoch >= self._fit_steps_per_epoch
        if epoch_end:
            self._steps_in_epoch = 0
        if epoch_end or self._steps_since_check >= self.divergence_check_every:
            self._steps_since_check = 0
            if int(ops.convert_to_numpy(read_diverged_at())) >= 0:
                self.check_divergence()

    def check_divergence(self):
        """Raise ``TrainingDiverged`` if a loss or weight has become NaN or inf."""
        self.sync_state()
        at = int(ops.convert_to_numpy(self.diverged_at))
        if at < 0:
            return
        values = ops.convert_to_numpy(self.diverged_values)
        bad = {
            name: float(value)
            for name, value in zip(self.metric_names + ("weights",), values)
            if not math.isfinite(float(value))
        }
        raise TrainingDiverged(bad, at)
