def test_the_example_note_is_true(tcp_note):
    result = tcp_note("examples/notes/tcp-connection.md")  # from the rootdir
    assert result.lines("timer") == [58, 59]  # the client's TIME-WAIT: "after 2MSL", "CLOSED"
