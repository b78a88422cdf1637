"""Signing pinned to the reference's worked examples ("Signature Authentication")."""

from hashkey_async.signing import sign, verify

SECRET = "lH3ELTNiFxCQTmi9pPcWWikhsjO04Yoqw3euoHUuOLC3GYBW64ZqzQsiOEHXQS76"
FULL = (
    "symbol=ETHBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1538323200000"
)


def test_example_1_query_string() -> None:
    expected = "5f2750ad7589d1d40757a55342e621a44037dad23b5128cc70e18ec1d1c3f4c6"
    assert sign(SECRET, FULL) == expected


def test_example_2_request_body() -> None:
    expected = "5f2750ad7589d1d40757a55342e621a44037dad23b5128cc70e18ec1d1c3f4c6"
    assert sign(SECRET, "", FULL.encode()) == expected


def test_example_3_query_plus_body() -> None:
    query = "symbol=ETHBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    body = b"quantity=1&price=0.1&recvWindow=5000&timestamp=1538323200000"
    expected = "885c9e3dd89ccd13408b25e6d54c2330703759d7494bea6dd5a3d1fd16ba3afa"
    assert sign(SECRET, query, body) == expected


def test_verify_is_case_insensitive_and_rejects_tampering() -> None:
    good = sign(SECRET, FULL)
    assert verify(SECRET, FULL, b"", good.upper())
    assert not verify(SECRET, FULL.replace("price=0.1", "price=0.2"), b"", good)
