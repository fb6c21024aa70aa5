docker build -t my-service .
# Locally, against an emulator running on the host:
docker run --rm -p 8080:8080 --add-host=host.docker.internal:host-gateway \
    -e PUBSUB_EMULATOR_HOST=host.docker.internal:8085 my-service
# More processes per container (each with its own event loop and streams):
docker run --rm -p 8080:8080 -e PUBSUB_RUNTIME_WORKERS=4 my-service
