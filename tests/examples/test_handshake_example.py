import pytest


@pytest.mark.parametrize("family", ["IPv4", "IPv6"])
def test_three_way_open(tcp_scenario, family):
    tcp_scenario("open", family).assert_documented()
