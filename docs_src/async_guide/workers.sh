pubsub-runtime run my_service.app:app --workers 4            # four processes, four event loops
PUBSUB_RUNTIME_WORKERS=4 pubsub-runtime run my_service.app:app   # the same, from the environment
PUBSUB_RUNTIME_PROCESS_POOL_SIZE=2 pubsub-runtime run my_service.app:app   # run_in_process pool size
