pubsub-gen check-compat --against origin/main                # schemas/ now vs. schemas/ on main
pubsub-gen check-compat --against v1.4.0 --mode full         # or any tag or commit
pubsub-gen check-compat --against origin/main --format json  # one object per finding, for tools
