"""Small services for the probe's namespace tests, where no packaged daemon
fits: an HTTP server with Basic auth (admin/admin), an HTTP admin page
served without login, an HTTP login form (admin/password), a scripted FTP
responder (admin/password), and an SSDP responder. Usage:

    services.py ADDR weak|hardened LOGFILE

Every request is logged, so a test can prove the probe sent nothing where it
was not allowed. Prints "ready" when listening.
"""
import base64, socket, socketserver, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

ADDR, MODE, LOG = sys.argv[1], sys.argv[2], open(sys.argv[3], "a", buffering=1)


def log(what):
    LOG.write(what + "\n")


class Basic(BaseHTTPRequestHandler):
    def log_message(self, *a):
        log("http-basic " + self.requestline)

    def do_GET(self):
        want = "Basic " + base64.b64encode(b"admin:admin").decode()
        if self.headers.get("Authorization") == want:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<h1>Camera</h1>")
        else:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="IPCam"')
            self.end_headers()
            self.wfile.write(b"401 Unauthorized")


class OpenAdmin(BaseHTTPRequestHandler):
    def log_message(self, *a):
        log("http-open " + self.requestline)

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><h1>Router administration</h1><form action=/save method=post>"
                         b"WiFi SSID <input name=ssid value=home> <input type=submit value=Reboot></form></html>")


LOGIN_PAGE = (b"<html><form method=POST action=/login>User <input name=user type=text>"
              b"Password <input name=pass type=password><input type=submit></form></html>")


class Form(BaseHTTPRequestHandler):
    def log_message(self, *a):
        log("http-form " + self.requestline)

    def do_GET(self):
        if self.path.startswith("/home") and "session=ok" in (self.headers.get("Cookie") or ""):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<h1>Welcome</h1>")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(LOGIN_PAGE)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        q = parse_qs(self.rfile.read(min(n, 4096)).decode())
        if q.get("user") == ["admin"] and q.get("pass") == ["password"]:
            self.send_response(302)
            self.send_header("Location", "/home")
            self.send_header("Set-Cookie", "session=ok")
            self.end_headers()
        else:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<p>Invalid user name or password</p>" + LOGIN_PAGE)


class Ftp(socketserver.StreamRequestHandler):
    def handle(self):
        log("ftp connection")
        self.wfile.write(b"220 (vsFTPd 2.3.4)\r\n")
        user = None
        for line in self.rfile:
            cmd, _, arg = line.decode(errors="replace").strip().partition(" ")
            cmd = cmd.upper()
            if cmd == "USER":
                user = arg
                self.wfile.write(b"331 Please specify the password.\r\n")
            elif cmd == "PASS":
                ok = user == "admin" and arg == "password"
                self.wfile.write(b"230 Login successful.\r\n" if ok else b"530 Login incorrect.\r\n")
            elif cmd == "QUIT":
                self.wfile.write(b"221 Goodbye.\r\n")
                return
            else:
                self.wfile.write(b"500 Unknown command.\r\n")


class Threaded(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


class ThreadedHTTP(socketserver.ThreadingMixIn, HTTPServer):
    allow_reuse_address = True
    daemon_threads = True


def ssdp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ADDR, 1900))
    while True:
        data, peer = s.recvfrom(2048)
        log(f"ssdp from {peer[0]}")
        if data.startswith(b"M-SEARCH"):
            s.sendto(b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
                     b"LOCATION: http://" + ADDR.encode() + b":49152/rootDesc.xml\r\n"
                     b"SERVER: Linux/2.6 UPnP/1.0 IPCam/1.0\r\nST: upnp:rootdevice\r\n"
                     b"USN: uuid:0000-cam::upnp:rootdevice\r\n\r\n", peer)


servers = []
if MODE == "weak":
    servers = [ThreadedHTTP((ADDR, 80), Basic), ThreadedHTTP((ADDR, 8080), OpenAdmin),
               ThreadedHTTP((ADDR, 8081), Form), Threaded((ADDR, 21), Ftp)]
    threading.Thread(target=ssdp, daemon=True).start()
for srv in servers:
    threading.Thread(target=srv.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
