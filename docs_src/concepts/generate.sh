pubsub-gen                   # regenerate the package from [tool.pubsub-gen]
pubsub-gen --check           # change nothing; exit 1 and list the stale files (CI, pre-commit)
pubsub-gen --diff            # change nothing; print a diff of what would change
