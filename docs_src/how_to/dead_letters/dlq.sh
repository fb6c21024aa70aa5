pubsub-runtime dlq docs_src.how_to.dead_letters.service:broker list
pubsub-runtime dlq docs_src.how_to.dead_letters.service:broker peek order_placed-dead --limit 5
pubsub-runtime dlq docs_src.how_to.dead_letters.service:broker replay order_placed-dead --dry-run
pubsub-runtime dlq docs_src.how_to.dead_letters.service:broker replay order_placed-dead \
    --filter 'attributes.tenant = "acme"' --rate 20/s
pubsub-runtime dlq docs_src.how_to.dead_letters.service:broker purge order_placed-dead --yes
