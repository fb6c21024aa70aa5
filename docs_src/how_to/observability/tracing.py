"""OpenTelemetry tracing: publishes and handled messages become spans of one trace."""

import logging

from example_events import TOPICS, OrderPlaced
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from pubsub_runtime import Message, PubSubBroker, enable_tracing

logger = logging.getLogger(__name__)
broker = PubSubBroker(project_id="my-project", topics=TOPICS)


def configure_tracing(exporter: SpanExporter) -> TracerProvider:
    """Send this service's spans to ``exporter`` (in production, an OTLP exporter)."""
    provider = TracerProvider(resource=Resource.create({"service.name": "orders"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    enable_tracing(provider)  # process-wide; without a provider: OpenTelemetry's global one
    return provider


@broker.subscriber("ship", topic_name="order_placed", subscription_name="order_placed-ship")
async def ship(message: Message[OrderPlaced]) -> None:
    # The publisher's trace context travels in the message attributes.
    logger.info(
        "shipping %s, trace %s", message.payload.order_id, message.attributes["traceparent"]
    )
