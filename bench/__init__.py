"""Side-by-side benchmarks of pubsub-runtime and pubsub-gen: ``python -m bench all``.

Every figure is a ratio measured in one run against one emulator, each side in its own
process, repeated with alternating order; medians are reported. See docs/benchmarks.md.
"""
