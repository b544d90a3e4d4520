import pytest


def test_server_answers(lab):
    server, client = lab["server"], lab["client"]
    with (
        server.listen(8080, server.address()) as listener,
        client.connect(server.address(), 8080) as conn,
    ):
        accepted, _ = listener.accept()
        with accepted:
            conn.sendall(b"ping")
            assert accepted.recv(4) == b"ping"
            assert "ESTAB" in client.ss()  # the real ss, inside the client
        assert server.socket(f"tcp://{server.address()}:8080").is_listening  # testinfra


@pytest.mark.topology("routed")
def test_curl_through_a_router(lab):
    web = lab["server"].popen(["python3", "-m", "http.server", "8000"])
    lab["server"].wait_listening(8000)
    page = lab["client"].exec(["curl", "-s", f"http://{lab['server'].address()}:8000/"])
    assert "Directory listing" in page.stdout
    web.stop()
