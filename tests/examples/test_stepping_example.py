from lab.stepping import Stepper
from lab.tcp import TcpFlag, TcpState


def test_a_lost_syn_ack_makes_the_client_send_its_syn_again(lab):
    server, client = lab["server"], lab["client"]
    with Stepper(lab, port=8080) as stepper:
        listener = server.listen(8080, server.address())
        sock = client.open_socket()  # a socket inside the client's namespace
        sock.setblocking(False)  # nothing may wait for the network
        stepper.act("client", lambda: sock.connect_ex((server.address(), 8080)))
        syn = stepper.next_segment()  # held at the client's output
        syn.release()  # delivered, and processed by the server

        syn_ack = stepper.next_segment()  # held at the server's output
        assert syn_ack.flags == TcpFlag.SYN | TcpFlag.ACK
        states = stepper.states()
        assert states["client"].state == TcpState.SYN_SENT
        assert states["server"].state == TcpState.SYN_RECEIVED
        syn_ack.drop()  # lost on the way

        again = stepper.next_segment(timeout=3, sender="client")
        assert again.flags == TcpFlag.SYN
        assert 0.9 < again.time - syn.time < 1.5  # the initial retransmission timeout, 1 s
        stepper.settle()  # the rest of the handshake
        assert stepper.states()["client"].state == TcpState.ESTABLISHED
    sock.close()
    listener.close()
