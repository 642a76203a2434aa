from firstlight.decide import sign, signature_headers, verify


def test_signature_verifies_for_the_same_body_and_recent_timestamp():
    body = b'{"kind":"block_content"}'
    sig = sign("s3cret", 1_700_000_000, body)
    assert sig.startswith("v1=") and len(sig) == 3 + 64
    assert verify("s3cret", "1700000000", body, sig, now=1_700_000_010)


def test_signature_rejects_tampered_body_wrong_secret_and_old_timestamp():
    body = b'{"kind":"block_content"}'
    sig = sign("s3cret", 1_700_000_000, body)
    assert not verify("s3cret", 1_700_000_000, body + b" ", sig, now=1_700_000_000)
    assert not verify("other", 1_700_000_000, body, sig, now=1_700_000_000)
    # a replay ten minutes later is refused even with a valid signature
    assert not verify("s3cret", 1_700_000_000, body, sig, now=1_700_000_600)
    # the timestamp is covered by the signature: it cannot be refreshed
    assert not verify("s3cret", 1_700_000_600, body, sig, now=1_700_000_600)


def test_verify_never_raises_on_malformed_headers():
    assert not verify("s", None, b"x", "v1=00")
    assert not verify("s", "not-a-number", b"x", "v1=00")
    assert not verify("s", 1, b"x", None)
    assert not verify("s", 1, b"x", "garbage", now=1)


def test_verify_accepts_one_of_several_signatures_during_secret_rotation():
    body = b"{}"
    header = sign("old", 100, body) + "," + sign("new", 100, body)
    assert verify("new", 100, body, header, now=100)


def test_signature_headers_carry_the_idempotency_key():
    headers = signature_headers("s", b"{}", idempotency_key="fl:e1:block_content", timestamp=5)
    assert headers["Idempotency-Key"] == "fl:e1:block_content"
    assert verify("s", headers["Firstlight-Timestamp"], b"{}", headers["Firstlight-Signature"], now=5)
