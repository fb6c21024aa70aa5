export PUBSUB_EMULATOR_HOST=127.0.0.1:8085   # or real Pub/Sub with your credentials
pubsub-runtime run app:app --port 8000
curl -s localhost:8000/consumers/alive
