PUBSUB_CONSOLE=1 pubsub-runtime run my_service.app:app --reload   # then open http://127.0.0.1:8000/console/
