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
