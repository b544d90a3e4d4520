from lab import Lab, from_dict

topology = from_dict(
    {
        "name": "mini",
        "hosts": {"a": {"sysctls": {"net.ipv4.tcp_ecn": 1}}, "b": {}},
        "links": [
            {
                "endpoints": [
                    {"host": "a", "addresses": ["192.0.2.1/24", "2001:db8::1/64"]},
                    {"host": "b", "addresses": ["192.0.2.2/24", "2001:db8::2/64"]},
                ]
            }
        ],
    }
)


def test_python_api():
    with Lab(topology) as lab:
        listener = lab["b"].listen(9000, "2001:db8::2")
        lab["a"].connect("2001:db8::2", 9000).close()
        assert lab["a"].sysctl("net.ipv4.tcp_ecn") == 1
        print(lab["b"].ss("-tan"))
        listener.close()
