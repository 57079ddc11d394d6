"""bench/peers/py_hello.py: Python 3 asyncio hello world on a raw Protocol
(no HTTP library), the second peer bench/run-all.sh measures next to
examples/http_hello. Same response bytes as http_hello; answers every
complete request in the buffer (pipelining) and honours Connection: close.
Usage: python3 py_hello.py [PORT]   (127.0.0.1 only; default 8082)"""
import asyncio
import signal
import sys

BODY = b"Hello, World!"
HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        b"Content-Length: %d\r\nConnection: " % len(BODY))
KEEP = HEAD + b"keep-alive\r\n\r\n" + BODY
CLOSE = HEAD + b"close\r\n\r\n" + BODY


class Hello(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data):
        buf = self.buf + data
        out = []
        close = False
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end]
            buf = buf[end + 4:]
            # Requests carry no body here (wrk and curl send GETs).
            if b"lose" in head and b"connection: close" in head.lower():
                out.append(CLOSE)
                close = True
                break
            out.append(KEEP)
        self.buf = buf
        if out:
            self.transport.write(b"".join(out))
        if close:
            self.transport.close()


async def main(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    server = await loop.create_server(Hello, "127.0.0.1", port, backlog=1024)
    print(f"py_hello: listening on http://127.0.0.1:{port}/", flush=True)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8082))
