pubsub-runtime run my_service.app:app --workers 4   # sets PROMETHEUS_MULTIPROC_DIR to a fresh folder
PROMETHEUS_MULTIPROC_DIR=/var/run/metrics pubsub-runtime run my_service.app:app --workers 4
