pubsub-gen asyncapi --title payments --api-version 1.0.0 --project my-project --out asyncapi.yaml
pubsub-gen asyncapi --out asyncapi.json    # JSON instead of YAML
pubsub-gen asyncapi                        # to stdout
