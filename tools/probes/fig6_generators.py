"""WGAN Figures 5-6 at a chosen image size: GAN and WGAN with generator (a) DCGAN or (b) no BN, constant filters.

Prints the Frechet distance, classifier score and class coverage of each run
every 200 generator iterations (``wk.metrics.QualityScorer.for_digits`` on
resized scikit-learn digits).

    python tools/probes/fig6_generators.py --size 32 --iterations 1000 --runs gan_b,wgan_b
    python tools/probes/fig6_generators.py --size 64 --iterations 1000 --runs gan_b
    python tools/probes/fig6_generators.py --size 64 --iterations 600 --runs wgan_b,gan_a

Used for the Figure 6 discussion in notebooks/05_stability_and_modes.ipynb (TensorFlow backend; a 64x64
WGAN run of 600 iterations takes about 11 minutes on a 2-core CPU).
"""

import argparse
import time

import wgan_keras as wk


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--wgan-learning-rate", type=float, default=5e-4)
    parser.add_argument("--runs", default="gan_a,gan_b,wgan_b", help="comma-separated model_setting")
    args = parser.parse_args()
    shape = (args.size, args.size, 1)
    train = wk.data.digits(args.size, split="train", seed=0)
    reference = wk.data.digits(args.size, split="validation", seed=0)
    scorer = wk.metrics.QualityScorer.for_digits(seed=0, image_size=args.size)
    for run in args.runs.split(","):
        name, setting = run.split("_")
        started = time.time()
        options = dict(batch_norm=False, constant_filters=True) if setting == "b" else {}
        generator = wk.nets.dcgan_generator(32, shape, filters=args.filters, seed=0, **options)
        critic = wk.nets.dcgan_critic(shape, filters=args.filters, normalization="batch", seed=0)
        model = wk.build(name, generator, critic, seed=0)
        model.compile(**({"learning_rate": args.wgan_learning_rate} if name == "wgan" else {}))
        for done in range(200, args.iterations + 1, 200):
            model.fit(train, batch_size=64, epochs=1, steps_per_epoch=200, verbose=0)
            s = scorer.evaluate(model.generate(1000, seed=7), reference)
            print(
                f"{run} {args.size}x{args.size} {done} iterations: Frechet distance {s['fd']:.1f}, "
                f"score {s['score']:.2f}, classes {s['class_coverage']:.1f}, {time.time() - started:.0f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
