"""WGAN-GP Figure 1a at the paper's scale: peaks of a penalised critic on the 25 Gaussians as it trains.

Trains one 3 x 512 ReLU critic against gan_toy.py's fixed generator (real data
plus unit Gaussian noise) and prints, every ``--every`` updates, the number of
the 25 modes with a peak of the critic (``wk.measures.peaks_on_modes``) and the
normalised margin. ``--paired`` draws the fake batch as gan_toy.py does (the
same real batch plus fresh noise) instead of from an independent sample.
``--exact`` instead solves the transport problem between the two
distributions by linear programming (scipy's HiGHS) and counts the modes at
which the exact Kantorovich potential has a strict peak.

    python tools/probes/fig1a_convergence.py --updates 50000 --every 5000
    python tools/probes/fig1a_convergence.py --updates 20000 --paired
    python tools/probes/fig1a_convergence.py --updates 30000 --paired --gp-weight 10
    python tools/probes/fig1a_convergence.py --exact

Used for the negative result reported in notebooks/03_wgan_gp.ipynb (each run
takes 3-8 minutes on a 2-core CPU with KERAS_BACKEND=jax).
"""

import argparse
import time

import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.spatial

import wgan_keras as wk


def exact_peaks(n=3000, seed=0):
    """Modes at which the exact W1 potential between the data and data + N(0, I) has a strict peak."""
    centers, _ = wk.data.toy_modes("25gaussians")
    k = len(centers)
    rng = np.random.default_rng(seed)
    fake = centers[rng.integers(0, k, n)] + rng.standard_normal((n, 2))  # the modes' width (0.018) is negligible
    cost = scipy.spatial.distance.cdist(fake, centers)
    rows = scipy.sparse.kron(scipy.sparse.eye(n), np.ones((1, k)))
    columns = scipy.sparse.kron(np.ones((1, n)), scipy.sparse.eye(k))
    constraints = scipy.sparse.vstack([rows, columns]).tocsr()
    marginals = np.concatenate([np.full(n, 1 / n), np.full(k, 1 / k)])
    result = scipy.optimize.linprog(cost.ravel(), A_eq=constraints, b_eq=marginals, bounds=(0, None), method="highs")
    potential = -result.eqlin.marginals[n:]  # the critic's value at each mode
    distances = scipy.spatial.distance.cdist(centers, centers)
    # A strict peak at mode i: no other mode's cone potential_j - |y - y_j| reaches potential_i at y_i.
    slack = distances - (potential[None, :] - potential[:, None])
    np.fill_diagonal(slack, np.inf)
    print(
        f"exact W1 {result.fun:.4f}; modes with a strict peak: {int((slack.min(axis=1) > 1e-6).sum())}/{k}; "
        f"smallest slack {slack.min():.3f}"
    )


def train(args):
    real, fake = wk.critics.fixed_generator_samples("25gaussians", 100000, seed=args.seed)
    centers = wk.data.toy_modes("25gaussians")[0]
    critic = wk.nets.mlp_critic((2,), hidden=args.hidden, depth=3, seed=args.seed)
    unused = wk.nets.mlp_generator(latent_dim=1, output_shape=(2,), hidden=1, depth=1)  # critic updates never call it
    model = wk.build("wgan-gp", unused, critic, seed=args.seed, n_critic=1, gp_weight=args.gp_weight)
    model.compile(learning_rate=args.learning_rate, beta_1=0.5)  # gan_toy.py's Adam
    update = model.critic_update_function()
    rng = np.random.default_rng(args.seed)
    started = time.time()
    for i in range(1, args.updates + 1):
        batch = real[rng.integers(0, len(real), 256)]
        if args.paired:
            fake_batch = (batch + rng.standard_normal(batch.shape)).astype("float32")
        else:
            fake_batch = fake[rng.integers(0, len(fake), 256)]
        update(batch, fake_batch)
        if i % args.every == 0:
            peaks, k = wk.measures.peaks_on_modes(critic, centers)
            margin = wk.measures.normalised_margin(critic, real[:4096], fake[:4096])
            print(
                f"{i} updates: peaks on {peaks}/{k} modes, margin {margin:.3f}, {time.time() - started:.0f} s",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=20000)
    parser.add_argument("--every", type=int, default=2500)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--gp-weight", type=float, default=0.1)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--paired", action="store_true")
    parser.add_argument("--exact", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    exact_peaks(seed=args.seed) if args.exact else train(args)


if __name__ == "__main__":
    main()
