# This file is yours: pubsub-gen wrote it once and never overwrites it.
