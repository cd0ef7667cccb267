"""The lab's cloud: an HTTPS MUD server (with hostile paths for the fetcher
tests) and two TCP services. Usage: cloud.py WWW CERT KEY MUD_ADDR LOG

  https://MUD_ADDR/<file>     files under WWW (.json as application/mud+json)
  /hostile/big.json           2 MiB of JSON
  /hostile/slow.json          one byte a second
  /hostile/loop.json          redirects to itself
  /hostile/http.json          redirects to plain http://
  /hostile/html.json          served as text/html
  /hostile/private.json       redirects to https://127.0.0.1/
  /hostile/rebind.json        redirects to https://inside.example/ (a private address in the lab's DNS)
"""
import http.server, os, socket, ssl, sys, threading, time

WWW, CERT, KEY, ADDR, LOG = sys.argv[1:6]
log = open(LOG, "a", buffering=1)


class H(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".json": "application/mud+json", ".p7s": "application/pkcs7-signature", "": "application/octet-stream"}

    def __init__(self, *a, **k):
        super().__init__(*a, directory=WWW, **k)

    def log_message(self, fmt, *a):
        log.write("%s %s\n" % (self.client_address[0], fmt % a))

    def redirect(self, to):
        self.send_response(302)
        self.send_header("Location", to)
        self.end_headers()

    def do_GET(self):
        p = self.path
        if p == "/hostile/big.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/mud+json")
            self.end_headers()
            try:
                self.wfile.write(b'{"x": "' + b"a" * (2 << 20) + b'"}')
            except Exception:
                pass
        elif p == "/hostile/slow.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/mud+json")
            self.end_headers()
            try:
                for _ in range(120):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(1)
            except Exception:
                pass
        elif p == "/hostile/loop.json":
            self.redirect("https://%s/hostile/loop.json" % self.headers.get("Host"))
        elif p == "/hostile/http.json":
            self.redirect("http://%s/device.json" % self.headers.get("Host"))
        elif p == "/hostile/private.json":
            self.redirect("https://127.0.0.1/device.json")
        elif p == "/hostile/rebind.json":
            self.redirect("https://inside.example/device.json")
        elif p == "/hostile/html.json":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>not a MUD file</html>")
        else:
            super().do_GET()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


httpd = Server((ADDR, 443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)


def echo(c):
    """After the greeting, echo what the client sends until it closes."""
    try:
        while True:
            d = c.recv(2048)
            if not d:
                break
            c.sendall(d)
    except Exception:
        pass
    c.close()


def service(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, peer = s.accept()
        log.write("service %s:%d from %s\n" % (addr, port, peer[0]))
        try:
            c.sendall(b"hello from %s:%d\n" % (addr.encode(), port))
        except Exception:
            c.close()
            continue
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def udp_echo(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        d, peer = s.recvfrom(2048)
        s.sendto(d, peer)


for a, p in [(sys.argv[6], 8001), (ADDR, 8002), ("2001:db8:100::11", 8001), ("2001:db8:100::10", 8002)]:
    threading.Thread(target=service, args=(a, p), daemon=True).start()
threading.Thread(target=udp_echo, args=(sys.argv[6], 8001), daemon=True).start()
print("ready", flush=True)
httpd.serve_forever()
