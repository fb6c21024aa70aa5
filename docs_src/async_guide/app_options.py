"""How sensitive the watchdog is, and when /consumers/alive gives up on a slow loop."""

from pubsub_runtime import FastPubSub, LoopWatchdog, PubSubBroker

broker = PubSubBroker(project_id="local-project")

# The defaults: report blocks of 100 ms or more; answer 503 while the loop lags over 1 s.
app = FastPubSub(broker, block_threshold=0.1, alive_max_lag=1.0)

# Or every setting of the watchdog: a block still going on after `stuck_after` seconds is
# reported while it lasts; one culprit is reported at most once per `repeat_after` seconds.
strict_app = FastPubSub(
    broker,
    watchdog=LoopWatchdog(threshold=0.05, stuck_after=2.0, repeat_after=30.0),
    alive_max_lag=0.5,
)
