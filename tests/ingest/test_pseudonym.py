from graph.ingest.pseudonym import Pseudonymizer, ip_network, is_pseudonym

KEY = "k" * 32


def test_stable_keyed_and_prefixed():
    p, q = Pseudonymizer(KEY), Pseudonymizer("other-key-" * 4)
    a = p.token("ip", "203.0.113.7")
    assert a == p.token("ip", " 203.0.113.7 ") and a != q.token("ip", "203.0.113.7")
    assert a.startswith(f"ip_{p.key_id}_") and is_pseudonym(a) and "203" not in a
    assert p.token("email", "A@B.com") == p.token("email", "a@b.com")
    assert p.token("payment", "DE20 8601 4956") == p.token("payment", "DE2086014956")


def test_network_keys():
    assert ip_network("203.0.113.7") == ("203.0.113.0/24", 4)
    assert ip_network("2a01:3423:4934:d96d::1") == ("2a01:3423:4934::/48", 6)
    assert ip_network("87540") is None
    p = Pseudonymizer(KEY)
    assert p.network_token("203.0.113.7") == p.network_token("203.0.113.200")
    assert p.network_token("203.0.114.7") != p.network_token("203.0.113.7")


def test_batched_pseudonyms_equal_the_plain_hmac():
    import hashlib
    import hmac

    from graph.ingest.pseudonym import KINDS, _norm

    p = Pseudonymizer(KEY)
    values = ["203.0.113.7", " 203.0.113.7 ", "010.1.2.3", "256.1.1.1", "2a01:3423:4934:d96d::15",
              "::ffff:1.2.3.4", "junk", "A@B.com", "DE20 8601", "é€", " "]

    def plain(kind, v):
        mac = hmac.new(KEY.encode(), (kind + "\x00" + _norm(kind, v)).encode(), hashlib.sha256).hexdigest()
        return f"{KINDS[kind]}_{p.key_id}_{mac[:20]}"

    for kind in KINDS:
        assert p.tokens(kind, values) == ["" if not v.strip() else plain(kind, v) for v in values]
    toks, nets, versions = p.ips(values)
    want = [p.network_token(v) for v in values]
    assert nets == [w[0] if w else "" for w in want] and versions == [w[1] if w else 0 for w in want]
    assert versions[:6] == [4, 4, 0, 0, 6, 6] and toks[0] == toks[1] == p.token("ip", "203.0.113.7")
