def test_the_server_is_syn_received_once_it_has_processed_the_syn(tcp_scenario):
    check = tcp_scenario("open", "IPv4")
    assert check.ok
    assert check.verdict.steps[1].observed_states["server"] == "SYN-RECEIVED"
    assert check.verdict.steps[0].segment.flags == "SYN"
