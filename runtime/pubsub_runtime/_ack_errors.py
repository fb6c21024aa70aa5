"""What a failed Acknowledge or ModifyAckDeadline call says, per ack id, in readable words.

On an exactly-once subscription Pub/Sub answers a call whose ids partly failed with an
``ErrorInfo`` (reason ``EXACTLY_ONCE_ACKID_FAILURE``) mapping each failed ack id to a reason such
as ``PERMANENT_FAILURE_INVALID_ACK_ID`` (the lease had ended) or ``TRANSIENT_FAILURE_...``; the
ids it does not name succeeded. The status travels in the ``grpc-status-details-bin`` trailer,
which google-api-core parses; when its code differs from the call's own (seen on the emulator:
RESOURCE_EXHAUSTED outside, INVALID_ARGUMENT inside) api-core raises a bare ``ValueError`` about
the mismatch instead, so the trailer is read here from the gRPC error it was raised from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import grpc
from google.api_core import exceptions as api_exceptions
from google.rpc import error_details_pb2, status_pb2

__all__ = ["AckResult", "CallFailure", "Refusal", "read_failure"]


class AckResult(StrEnum):
    """Pub/Sub's answer to an ack (what ``await message.ack()`` returns).

    ``SUCCESS``: acknowledged (on an exactly-once subscription: the message will not be
    delivered again). ``INVALID_ACK_ID``: refused because the lease had ended or the id is
    unknown (Pub/Sub delivers the message again). ``FAILED_PRECONDITION`` and
    ``PERMISSION_DENIED``: refused for that reason. ``OTHER``: any other failure, or transient
    failures that still failed when the message's lease would have ended.
    """

    SUCCESS = "success"
    INVALID_ACK_ID = "invalid_ack_id"
    FAILED_PRECONDITION = "failed_precondition"
    PERMISSION_DENIED = "permission_denied"
    OTHER = "other"


_TRANSIENT_CODES: Final = frozenset(
    {
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
    }
)
_STATUS_TRAILER: Final = "grpc-status-details-bin"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one ack id failed: ``reason`` as Pub/Sub words it, and whether a retry may help."""

    reason: str
    transient: bool
    result: AckResult


@dataclass(frozen=True, slots=True)
class CallFailure:
    """A failed call: ``text`` (``CODE: message``), and the refusals Pub/Sub named per ack id."""

    code: grpc.StatusCode | None
    text: str
    per_id: dict[str, str] = field(default_factory=dict)

    @property
    def too_large(self) -> bool:
        """The request or its answer was too large: smaller requests may pass.

        RESOURCE_EXHAUSTED also comes from gRPC itself when the answer's trailer (one entry
        per refused ack id) outgrows its metadata limit, about 100 ids.
        """
        if self.code is grpc.StatusCode.RESOURCE_EXHAUSTED:
            return True
        lowered = self.text.lower()
        return self.code is grpc.StatusCode.INVALID_ARGUMENT and (
            "too large" in lowered or "exceeds" in lowered
        )

    def refusal(self, ack_id: str) -> Refusal | None:
        """Why ``ack_id`` failed, or ``None`` when Pub/Sub named others but not this one."""
        if self.per_id:
            reason = self.per_id.get(ack_id)
            if reason is None:
                return None
            return Refusal(reason, reason.startswith("TRANSIENT_"), _result_of_reason(reason))
        transient = self.code in _TRANSIENT_CODES
        return Refusal(self.text, transient, _result_of_code(self.code))


def _result_of_reason(reason: str) -> AckResult:
    if reason == "PERMANENT_FAILURE_INVALID_ACK_ID":
        return AckResult.INVALID_ACK_ID
    return AckResult.OTHER


def _result_of_code(code: grpc.StatusCode | None) -> AckResult:
    if code is grpc.StatusCode.PERMISSION_DENIED:
        return AckResult.PERMISSION_DENIED
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        return AckResult.FAILED_PRECONDITION
    return AckResult.OTHER


def read_failure(exc: BaseException) -> CallFailure:
    """What ``exc``, raised by an ack or modify-ack-deadline call, says."""
    if isinstance(exc, api_exceptions.RetryError) and exc.cause is not None:
        return read_failure(exc.cause)  # the client's own retries ran out: the last failure
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        code = exc.grpc_status_code
        per_id = _per_id(getattr(exc, "details", None) or ())
        if not per_id and exc.response is not None:
            per_id = _per_id_from_call(exc.response)
        return CallFailure(code, _text(code, exc.message), per_id)
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, ValueError) and isinstance(cause, grpc.RpcError):
        # api-core could not build its exception (the status codes disagree): read the call
        code = cause.code() if hasattr(cause, "code") else None
        details = cause.details() if hasattr(cause, "details") else ""
        return CallFailure(code, _text(code, details or ""), _per_id_from_call(cause))
    if isinstance(exc, TimeoutError):
        return CallFailure(grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED: no answer")
    return CallFailure(None, f"{type(exc).__name__}: {exc}")


def _text(code: grpc.StatusCode | None, message: str) -> str:
    name = code.name if code is not None else "UNKNOWN"
    return f"{name}: {message}" if message else name


def _per_id(details: Any) -> dict[str, str]:
    for detail in details:
        if isinstance(detail, error_details_pb2.ErrorInfo) and detail.metadata:
            return dict(detail.metadata)
    return {}


def _per_id_from_call(call: Any) -> dict[str, str]:
    try:
        trailer = dict(call.trailing_metadata() or ()).get(_STATUS_TRAILER)
    except Exception:  # a call object without trailers: nothing more to read
        return {}
    if not trailer:
        return {}
    status = status_pb2.Status.FromString(trailer)
    infos = []
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            infos.append(info)
    return _per_id(infos)
