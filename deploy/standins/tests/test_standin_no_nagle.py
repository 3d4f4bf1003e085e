"""The stand-ins answer without Nagle's algorithm on their connections. An answer is two writes (head,
then body); with Nagle the body waited for the client's ACK of the head, which a kept-alive client
delays (up to 40 ms on Linux): every push to the HGRG stand-in stalled the pusher, and the (d)
benchmark measured the stall (docs/performance.md)."""
import http.client
import socket

from hgrip_standins.common import JsonHandler, make_server, start_in_thread


class _Echo(JsonHandler):
    routes = {("GET", "/nodelay"): "nodelay"}

    def nodelay(self):
        return 200, {"nodelay": self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)}

    def log_message(self, format, *args):
        pass


def test_each_accepted_connection_sends_without_nagle():
    server = make_server(_Echo, "127.0.0.1", 0)
    start_in_thread(server)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        for _ in range(2):   # the same kept-alive connection, twice
            connection.request("GET", "/nodelay")
            response = connection.getresponse()
            assert response.status == 200
            assert b'"nodelay": 1' in response.read()
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
