"""ClientConfig: each default once, every field validated, every setting reachable from the client."""

from __future__ import annotations

import inspect
import math
from dataclasses import fields
from typing import Any, get_type_hints

import pytest

from hashkey_async import ClientConfig, HashKeyClient, InvalidParameterError, ReconcilePolicy
from hashkey_async.config import CONFIG_FIELDS, MAX_RECV_WINDOW, ClientOptions

# field, a bad value, words the error must contain (the allowed range)
BAD_VALUES: list[tuple[str, object, str]] = [
    ("recv_window", -5, f"an int >= 1 and <= {MAX_RECV_WINDOW}"),
    ("recv_window", 0, ">= 1"),
    ("recv_window", MAX_RECV_WINDOW + 1, f"<= {MAX_RECV_WINDOW}"),
    ("recv_window", 5000.0, "an int"),
    ("request_timeout", -1, "a number > 0"),
    ("request_timeout", 0, "> 0"),
    ("request_timeout", math.inf, "> 0"),
    ("request_timeout", math.nan, "> 0"),
    ("request_timeout", "10", "a number"),
    ("order_rate", 0, "an int >= 1"),
    ("query_rate", -2, "an int >= 1"),
    ("query_rate", True, "an int >= 1"),
    ("weight_budget", 0, "None or an int >= 1"),
    ("rate_limit_margin", -0.01, ">= 0 and <= 1"),
    ("rate_limit_margin", 2, "<= 1"),
    ("rate_limit_max_pause", -1, ">= 0"),
    ("ip_ban_seconds", 0, "> 0"),
    ("max_retries", -3, "an int >= 0"),
    ("max_retries", 1.5, "an int >= 0"),
    ("retry_base_delay", 0, "> 0"),
    ("retry_max_delay", -1, "> 0"),
    ("time_sync_interval", 0, "None or a number > 0"),
    ("ws_ping_interval", 0, "> 0 and < 3600"),
    ("ws_ping_interval", 3600, "< 3600"),
    ("listen_key_keepalive_interval", 3600, "< 3600"),
    ("reconnect_max_delay", 0, "> 0"),
    ("reconnect_base_delay", -0.5, "> 0"),
    ("stream_queue_size", 0, "an int >= 1"),
    ("stream_max_per_connection", 0, "an int >= 1"),
    ("stream_max_per_connection", 2.5, "an int >= 1"),
    ("rules_ttl", -1, ">= 0"),
    ("in_doubt_size", 0, "an int >= 1"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD_VALUES, ids=lambda v: str(v))
def test_an_out_of_range_value_is_refused_naming_the_field_and_range(
    name: str, value: Any, allowed: str
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        ClientConfig(**{name: value})
    assert info.value.field == name
    assert allowed in str(info.value) and repr(value) in str(info.value)


@pytest.mark.parametrize(("name", "value", "allowed"), BAD_VALUES[:12], ids=lambda v: str(v))
def test_the_client_refuses_the_same_values(name: str, value: Any, allowed: str) -> None:
    options: dict[str, Any] = {name: value}
    with pytest.raises(InvalidParameterError) as info:
        HashKeyClient(**options)
    assert info.value.field == name and allowed in str(info.value)


def test_every_numeric_field_is_validated() -> None:
    numeric = {
        f.name
        for f in fields(ClientConfig)
        if f.name not in {"rest_url", "stream_url", "environment", "reconcile"}
    }
    assert numeric <= {name for name, _, _ in BAD_VALUES}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("environment", "staging"),
        ("rest_url", "api-pro.hashkey.com"),
        ("rest_url", "ws://127.0.0.1:1"),
        ("rest_url", "https://"),
        ("stream_url", "http://127.0.0.1:1"),
        ("reconcile", {"lookups": 3}),
    ],
)
def test_names_urls_and_policies_are_checked_too(name: str, value: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        ClientConfig(**{name: value})
    assert info.value.field == name


@pytest.mark.parametrize(
    ("name", "value"),
    [("lookups", -1), ("base_delay", 0), ("max_delay", math.inf), ("resubmit", "yes")],
)
def test_the_reconcile_policy_is_validated(name: str, value: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        ReconcilePolicy(**{name: value})
    assert info.value.field == name


def test_bounds_are_inclusive_where_they_say_so() -> None:
    config = ClientConfig(
        recv_window=MAX_RECV_WINDOW, rate_limit_margin=0, max_retries=0, time_sync_interval=None
    )
    assert config.recv_window == MAX_RECV_WINDOW and config.max_retries == 0


def test_the_options_name_every_field_once() -> None:
    option_names = set(get_type_hints(ClientOptions))
    assert option_names - {"base_url"} | {"rest_url"} == set(CONFIG_FIELDS)
    config_hints = get_type_hints(ClientConfig)
    for name, hint in get_type_hints(ClientOptions).items():
        if name in {"base_url", "stream_url"}:  # None: the environment's URL
            assert hint == str | None, name
        else:
            assert hint == config_hints[name], name


async def test_a_url_given_as_none_means_the_environments() -> None:
    async with HashKeyClient(environment="sandbox", base_url=None, stream_url=None) as client:
        assert client.config.rest_url == "https://api-pro.sim.hashkeydev.com"
        assert client.config.stream_url == "wss://stream-pro.sim.hashkeydev.com"


def test_the_client_writes_no_default_of_its_own() -> None:
    parameters = inspect.signature(HashKeyClient).parameters
    assert [p.kind for p in parameters.values()][-1] is inspect.Parameter.VAR_KEYWORD
    assert {p.default for p in parameters.values() if p.kind is not p.VAR_KEYWORD} <= {
        None,
        inspect.Parameter.empty,
    }


def test_an_unknown_option_is_refused() -> None:
    with pytest.raises(InvalidParameterError) as info:
        HashKeyClient(recv_windw=5000)  # type: ignore[call-arg]
    assert info.value.field == "recv_windw"


async def test_every_setting_reaches_the_part_that_uses_it() -> None:
    policy = ReconcilePolicy(lookups=1, base_delay=0.05, max_delay=0.1, resubmit=False)
    options: dict[str, Any] = {
        "recv_window": 7000,
        "request_timeout": 3.5,
        "rate_limit_max_pause": 0.5,
        "ip_ban_seconds": 33.0,
        "max_retries": 4,
        "retry_base_delay": 0.3,
        "retry_max_delay": 1.5,
        "rules_ttl": 12.0,
        "in_doubt_size": 7,
        "reconcile": policy,
    }
    async with HashKeyClient(**options) as client:
        for name, value in options.items():
            assert getattr(client.config, name) == value
        assert client.limiter.max_pause == 0.5
        assert client._transport.config is client.config
        assert client.spot.rules_book.ttl == 12.0
        assert client.spot.in_doubt.maxlen == 7
        assert client.spot.reconcile is policy


async def test_a_config_object_with_keyword_overrides_on_top() -> None:
    base = ClientConfig(environment="sandbox", order_rate=20, recv_window=3000)
    async with HashKeyClient(config=base, recv_window=4000) as client:
        assert client.config.order_rate == 20 and client.config.recv_window == 4000
        assert client.config.rest_url == "https://api-pro.sim.hashkeydev.com"
    async with HashKeyClient(config=base, environment="production") as moved:
        assert moved.config.rest_url == "https://api-pro.hashkey.com"  # follows the environment
    with pytest.raises(InvalidParameterError) as info:
        HashKeyClient(config=base, order_rate=0)
    assert info.value.field == "order_rate"


def test_the_config_is_frozen() -> None:
    config = ClientConfig()
    with pytest.raises(AttributeError):
        config.recv_window = 1  # type: ignore[misc]
