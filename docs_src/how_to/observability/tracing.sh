PUBSUB_RUNTIME_TRACING=1 pubsub-runtime run my_service.app:app   # enable_tracing() at startup
