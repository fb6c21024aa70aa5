# In the new service (../my-service above), with an emulator listening on 127.0.0.1:8085:
export PUBSUB_EMULATOR_HOST=127.0.0.1:8085   # or real Pub/Sub with your credentials
.venv/bin/pubsub-runtime run my_service.app:app --app-dir src --port 8000
curl -s localhost:8000/consumers/alive
