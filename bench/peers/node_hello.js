// bench/peers/node_hello.js: the Node.js `http` hello world that
// bench/run-all.sh puts next to examples/http_hello under wrk. It sends the
// same bytes as http_hello: three headers (Content-Type, Content-Length,
// Connection) and "Hello, World!" — no Date and no Keep-Alive header.
// Usage: node node_hello.js [PORT]   (127.0.0.1 only; default 8081)
'use strict';
const http = require('http');

const port = Number(process.argv[2] || 8081);
const body = 'Hello, World!';

const server = http.createServer((req, res) => {
  res.sendDate = false; // http_hello sends no Date header either
  const keep = req.headers.connection !== 'close';
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Content-Length': body.length,
    Connection: keep ? 'keep-alive' : 'close',
  });
  res.end(body);
});
// 0 = no idle timeout, which also drops the "Keep-Alive: timeout=5" header.
server.keepAliveTimeout = 0;
server.listen(port, '127.0.0.1', () => {
  console.log(`node_hello: listening on http://127.0.0.1:${port}/`);
});
process.on('SIGTERM', () => process.exit(0));
