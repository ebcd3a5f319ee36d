"""The DCI messages this registry reads and writes, as pydantic models written from the social
registry spec (spdci social_api v1.0.0, `MsgHeader_V1.0.0`, `SearchRequest`, `SearchResponse`,
`TxnStatusRequest`, `TxnStatusResponse`, the `Response` acknowledgement).

The models check the shape (types, lengths, required fields); the meaning (a timestamp with its
zone, a known operator, a page within bounds) is checked by `query.py`, so that one bad search
request is rejected on its own while the others in the message are answered. Extensions the
spec allows (`meta`, `consent`, `authorize`, …) are kept and ignored. Every string of a message
is checked to be valid Unicode (no lone surrogates) and a message is at most `MAX_DEPTH` deep.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

MAX_DEPTH = 32  # nesting of a message; the spec's deepest part (a predicate's expression) is about 8
Id99 = Annotated[StrictStr, Field(min_length=1, max_length=99)]
Scalar = StrictStr | StrictInt


def _clean(value: Any, depth: int = 0) -> None:
    """Refuse what no field may hold: text that is not Unicode, and nesting past `MAX_DEPTH`."""
    if depth > MAX_DEPTH:
        raise PydanticCustomError("err.request.bad", f"the message is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PydanticCustomError("err.request.bad", "a text holds a lone surrogate (not Unicode)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean(key, depth + 1)
            _clean(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _clean(item, depth + 1)


class DciModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class RequestHeader(DciModel):
    version: StrictStr = "1.0.0"
    message_id: Id99
    message_ts: Id99
    action: Id99
    sender_id: Id99
    sender_uri: Annotated[StrictStr, Field(max_length=2000)] | None = None
    receiver_id: Annotated[StrictStr, Field(max_length=99)] | None = None
    total_count: StrictInt
    is_msg_encrypted: StrictBool = False


class Envelope(DciModel):
    """A request: header and message, maybe signed (checked with the partner's keys: `trust.py`)."""

    signature: Annotated[StrictStr, Field(max_length=10_000)] | None = None
    header: RequestHeader

    @field_validator("signature", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise PydanticCustomError(
                "err.signature.invalid", "the message signature is not valid: it must be a text (MsgSignature)"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, data: Any) -> Any:
        _clean(data)  # an encrypted message was opened before (api/dci_sealed.py: encryption.open_envelope)
        return data


# --- search -----------------------------------------------------------------------------------------


class Expression(DciModel):
    attribute_name: Annotated[StrictStr, Field(max_length=64)]
    operator: Annotated[StrictStr, Field(max_length=8)] = "eq"
    attribute_value: Scalar | Annotated[list[Scalar], Field(max_length=1000)] | None = None


class Predicate(DciModel):
    seq_num: StrictInt | Annotated[StrictStr, Field(max_length=16)] | None = None  # upstream samples send ""
    expression1: Expression | None = None
    condition: Annotated[StrictStr, Field(max_length=8)] | None = None
    expression2: Expression | None = None


class IdTypeValue(DciModel):
    type: Annotated[StrictStr, Field(max_length=64)]
    value: Scalar | None = None


class Pagination(DciModel):
    page_size: StrictInt = 10
    page_number: StrictInt = 1


class SearchCriteria(DciModel):
    version: StrictStr = "1.0.0"
    reg_type: Annotated[StrictStr, Field(max_length=99)] | None = None
    reg_record_type: Annotated[StrictStr, Field(max_length=99)] | None = None
    query_type: Annotated[StrictStr, Field(max_length=32)]
    query: IdTypeValue | Annotated[list[Predicate], Field(max_length=100)] | dict[str, Any]
    pagination: Pagination | None = None


class SearchItem(DciModel):
    reference_id: Annotated[StrictStr, Field(max_length=200)] | None = None  # over 99: rejected on its own
    timestamp: Annotated[StrictStr, Field(max_length=64)] | None = None
    search_criteria: SearchCriteria
    locale: Annotated[StrictStr, Field(max_length=16)] | None = None


class SearchMessage(DciModel):
    transaction_id: Id99
    search_request: Annotated[list[SearchItem], Field(min_length=1, max_length=1000)]


class SearchEnvelope(Envelope):
    message: SearchMessage


# --- transaction status -------------------------------------------------------------------------------


class TxnStatusQuery(DciModel):
    reference_id: Id99
    txn_type: Annotated[StrictStr, Field(max_length=16)]
    attribute_type: Annotated[StrictStr, Field(max_length=32)]
    attribute_value: Id99 | Annotated[list[Id99], Field(min_length=1, max_length=100)]
    locale: Annotated[StrictStr, Field(max_length=16)] | None = None


class TxnStatusMessage(DciModel):
    transaction_id: Id99
    txnstatus_request: TxnStatusQuery


class TxnStatusEnvelope(Envelope):
    message: TxnStatusMessage


# --- answers --------------------------------------------------------------------------------------------


class CallbackHeader(DciModel):
    version: str = "1.0.0"
    message_id: str
    message_ts: str
    action: str
    status: str  # rcvd, pdng, succ, rjct
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    total_count: int = 0
    completed_count: int = 0
    sender_id: str
    receiver_id: str | None = None
    is_msg_encrypted: bool = False


class Identifier(DciModel):
    identifier_type: str
    identifier_value: str


class LocalName(DciModel):
    given_name: str | None = None
    second_name: str | None = None
    third_name: str | None = None
    surname: str | None = None
    language: str


class PersonName(DciModel):
    given_name: str | None = None
    second_name: str | None = None
    third_name: str | None = None
    surname: str | None = None
    local: LocalName | None = None


class Address(DciModel):
    region: str | None = None
    locality: str | None = None
    country: str | None = None


class SRPerson(DciModel):
    """A person as the social registry's record (`spdci:SR_Person`)."""

    type_: str = Field(default="spdci:SR_Person", alias="@type")
    identifier: list[Identifier]
    name: PersonName | None = None
    sex: str
    birth_date: str
    death_date: str | None = None
    marital_status: str
    group_identifier: str | None = None
    relationship: str
    address: Address
    phone_number: str | None = None


class ResultData(DciModel):
    version: str = "1.0.0"
    reg_type: str
    reg_record_type: str
    reg_records: list[SRPerson]


class PageInfo(DciModel):
    page_size: int
    page_number: int
    total_count: int


class SearchResult(DciModel):
    reference_id: str
    timestamp: str
    status: str  # succ or rjct
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    data: ResultData | None = None
    pagination: PageInfo | None = None
    locale: str | None = None


class SearchResponseMessage(DciModel):
    transaction_id: str
    correlation_id: str
    search_response: list[SearchResult]


class OnSearch(DciModel):
    """The answer of a search: in the response (sync) or POSTed to the sender's on-search (async),
    signed with the service's key (`/.well-known/jwks.json`)."""

    signature: str | None = None
    header: CallbackHeader
    message: SearchResponseMessage | None = None


class AckError(DciModel):
    code: str
    message: str


class Ack(DciModel):
    ack_status: str  # ACK or ERR
    timestamp: str
    correlation_id: str
    error: AckError | None = None


class AckEnvelope(DciModel):
    message: Ack


class TxnStatusResult(DciModel):
    txn_type: str
    txn_status: SearchResponseMessage | None = None


class TxnStatusResponseMessage(DciModel):
    transaction_id: str
    correlation_id: str
    txnstatus_response: TxnStatusResult


class OnTxnStatus(DciModel):
    signature: str | None = None
    header: CallbackHeader
    message: TxnStatusResponseMessage | None = None
