"""The DCI subscription messages (social registry spec: `SubscribeRequest`, `SubscribeResponse`,
`UnSubscribeRequest`, `UnSubscribeResponse`, `NotifyEventRequest`), as pydantic models.

As for search (`envelope.py`), the models check the shape; the meaning (a timestamp with its zone,
an event type we notify, a filter we can evaluate) is checked by `subscribing.py`, so that one bad
subscribe request is rejected on its own while the others of the message are answered.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictStr

from himaya.adapters.dci.envelope import CallbackHeader, DciModel, Envelope, Id99, SRPerson

Text99 = Annotated[StrictStr, Field(max_length=99)]


class Frequency(DciModel):
    start_time: Annotated[StrictStr, Field(max_length=64)] | None = None
    end_time: Annotated[StrictStr, Field(max_length=64)] | None = None
    frequency: Text99 | None = None


class SubscribeCriteria(DciModel):
    version: StrictStr = "1.0.0"
    reg_type: Text99 | None = None
    reg_event_type: Text99
    frequency: Frequency | None = None
    filter_type: Annotated[StrictStr, Field(max_length=32)] | None = None
    filter: dict[str, Any] | Annotated[list[Any], Field(max_length=100)]
    notify_record_type: Text99


class SubscribeItem(DciModel):
    reference_id: Annotated[StrictStr, Field(max_length=200)]  # over 99: rejected on its own
    timestamp: Annotated[StrictStr, Field(max_length=64)]
    subscribe_criteria: SubscribeCriteria
    locale: Annotated[StrictStr, Field(max_length=16)] | None = None


class SubscribeMessage(DciModel):
    transaction_id: Id99
    subscribe_request: Annotated[list[SubscribeItem], Field(min_length=1, max_length=100)]


class SubscribeEnvelope(Envelope):
    message: SubscribeMessage


class UnsubscribeMessage(DciModel):
    transaction_id: Id99
    timestamp: Annotated[StrictStr, Field(max_length=64)]
    subscription_codes: Annotated[list[Id99], Field(min_length=1, max_length=100)]


class UnsubscribeEnvelope(Envelope):
    message: UnsubscribeMessage


# --- answers --------------------------------------------------------------------------------------------


class FrequencyInfo(DciModel):
    start_time: str
    end_time: str
    frequency: str


class SubscriptionInfo(DciModel):
    version: str = "1.0.0"
    code: str
    status: str  # subscribe or unsubscribe
    timestamp: str
    reg_type: str
    reg_event_type: str
    frequency: FrequencyInfo | None = None
    filter_type: str
    filter: Any
    notify_record_type: str
    locale: str | None = None


class SubscribeResult(DciModel):
    reference_id: str
    timestamp: str
    status: str  # succ or rjct
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    subscriptions: list[SubscriptionInfo] | None = None
    locale: str | None = None


class SubscribeResponseMessage(DciModel):
    transaction_id: str
    correlation_id: str
    subscribe_response: list[SubscribeResult]


class OnSubscribe(DciModel):
    signature: str | None = None
    header: CallbackHeader
    message: SubscribeResponseMessage | None = None


class CodeStatus(DciModel):
    code: str
    status: str


class UnsubscribeResponseMessage(DciModel):
    transaction_id: str
    correlation_id: str
    timestamp: str
    status: str  # succ or rjct
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    subscription_status: list[CodeStatus] | None = None


class OnUnsubscribe(DciModel):
    signature: str | None = None
    header: CallbackHeader
    message: UnsubscribeResponseMessage | None = None


class NotifyData(DciModel):
    version: str = "1.0.0"
    reg_type: str
    reg_event_type: str
    reg_record_type: str
    reg_records: SRPerson


class NotifyEvent(DciModel):
    reference_id: str  # the event id: the same on every delivery of the event
    timestamp: str
    data: NotifyData
    locale: str | None = None


class NotifyMessage(DciModel):
    transaction_id: str
    notify_event: list[NotifyEvent]


class Notify(DciModel):
    signature: str | None = None
    header: CallbackHeader
    message: NotifyMessage
