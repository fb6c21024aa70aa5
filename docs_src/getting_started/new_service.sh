# From the root of a checkout of pubsub-gen, whose .venv has Copier and pubsub-gen installed:
.venv/bin/copier copy --trust "$PWD" ../my-service
cd ../my-service
make test   # generated code up to date, ruff, mypy, pytest
make run    # serve on http://127.0.0.1:8080 against a local Pub/Sub emulator
