# From the root of a checkout of pubsub-gen, whose .venv has Copier and pubsub-gen installed:
.venv/bin/copier copy --trust . ../my-service   # Enter for every default
cd ../my-service
make test                        # its own .venv; generated code up to date, ruff, mypy, pytest
make run                         # serve on http://127.0.0.1:8080 against a local Pub/Sub emulator
make publish TOPIC=order_placed  # in another terminal: send the topic's sample message to it
