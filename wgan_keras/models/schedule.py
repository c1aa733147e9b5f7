"""The critic schedule: how many critic updates each generator iteration makes, and the real batches it reads.

Algorithm 1 makes ``n_critic`` critic updates per generator iteration. WGAN's
official code (not the paper) makes 100 for the first 25 generator
iterations and every 500th one (``WGAN.critic_iterations``); the extra
updates run as critic-only chunks before Keras's step
(``trainers.base.Trainer.make_train_function``), each reading one stream
element of ``n_critic`` fresh batches.
"""

import math

from keras import ops


class CriticSchedule:
    """Mixin of ``AdversarialModel``: the critic schedule (needs ``n_critic``, ``generator_iterations``)."""

    #: True when critic_iterations varies (WGAN's warm-up schedule).
    has_critic_schedule = False

    def critic_iterations(self, generator_iteration):
        """Critic updates before generator update number ``generator_iteration``."""
        return self.n_critic

    def elements_for_iteration(self, generator_iteration):
        """Stream elements (``n_critic`` batches each) generator iteration ``g`` reads.

        An iteration with more critic updates than ``n_critic`` (the warm-up)
        reads whole extra elements; a partial last one uses its first batches.
        """
        return math.ceil(self.critic_iterations(generator_iteration) / self.n_critic)

    def real_elements_consumed(self, generator_iterations=None):
        """Stream elements read by the first ``generator_iterations`` iterations (default: all so far)."""
        if generator_iterations is None:
            generator_iterations = int(ops.convert_to_numpy(self.generator_iterations))
        if not self.has_critic_schedule:
            return generator_iterations
        return sum(self.elements_for_iteration(g) for g in range(generator_iterations))

    def extra_critic_chunks(self):
        """Critic-only chunks (number of updates each) before the next generator iteration."""
        if not self.has_critic_schedule:
            return []
        extra = self.critic_iterations(self._next_generator_iteration) - self.n_critic
        chunks = [self.n_critic] * (extra // self.n_critic)
        if extra % self.n_critic:
            chunks.append(extra % self.n_critic)
        return chunks

    def check_warmup_compatible(self):
        """Refuse ``steps_per_execution > 1`` with a schedule (Keras's step would run several iterations at once)."""
        if self.has_critic_schedule and self.steps_per_execution != 1:
            raise ValueError(
                f"steps_per_execution={self.steps_per_execution} cannot be "
                "combined with a critic warm-up schedule, which changes the number of critic "
                "updates from one generator iteration to the next. Use steps_per_execution=1, "
                "or turn the schedule off (critic_warmup=False)."
            )
