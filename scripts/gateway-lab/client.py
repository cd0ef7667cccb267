"""A device's client, bound to one interface: connect HOST PORT (prints what
the server says, exit 0; exit 1 when no connection), or scan PREFIX FIRST LAST
PORT (a bounded loop of connection attempts, as Mirai's scanner makes),
connect6 HOST PORT (the same over IPv6), serve PORT... (answer "hello" on
each TCP port, IPv4 and IPv6, for a neighbour to try), or
session HOST PORT SECONDS (one TCP connection and one UDP exchange with the
host's echo service, a message every 20 ms on each; prints "live" once both
echo, then at the end the Unix time of the last echo of each), or
arp-claim IP (three gratuitous ARP replies saying IP is at this interface's
MAC: an ARP spoof), or hold HOST PORT COUNT SECONDS (COUNT connections, each
with a request left half-sent, held open for SECONDS: a slow-client flood,
bounded in count and time; prints how many connected), or dns SERVER NAME
(one DNS query over UDP, exit 0 when answered within 2 s)."""
import socket, sys, time

ifc = sys.argv[1].encode()


def sock():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifc)
    return s


if sys.argv[2] == "connect6":
    host, port, wait = sys.argv[3], int(sys.argv[4]), float(sys.argv[5]) if len(sys.argv) > 5 else 4
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifc)
    s.settimeout(wait)
    try:
        addr = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_STREAM)[0][4]
        s.connect(addr)
        print(s.recv(200).decode(errors="replace").strip())
    except OSError as e:
        print("no connection: %s" % e)
        sys.exit(1)
elif sys.argv[2] == "dns":
    server, name = sys.argv[3], sys.argv[4]
    q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00\x00\x01\x00\x01"
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifc)
    u.settimeout(2)
    u.sendto(q, (server, 53))
    try:
        a = u.recv(512)
        print("answered, %d bytes" % len(a))
    except OSError as e:
        print("no answer: %s" % e)
        sys.exit(1)
elif sys.argv[2] == "connect":
    host, port, wait = sys.argv[3], int(sys.argv[4]), float(sys.argv[5]) if len(sys.argv) > 5 else 4
    s = sock()
    s.settimeout(wait)
    try:
        s.connect((socket.gethostbyname(host), port))
        print(s.recv(200).decode(errors="replace").strip())
    except OSError as e:
        print("no connection: %s" % e)
        sys.exit(1)
elif sys.argv[2] == "scan":
    prefix, first, last, port = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    socks = []
    for i in range(first, last + 1):
        s = sock()
        s.setblocking(False)
        try:
            s.connect(("%s.%d" % (prefix, i), port))
        except BlockingIOError:
            pass
        except OSError:
            pass
        socks.append(s)
        time.sleep(0.01)
    time.sleep(1.5)
    for s in socks:
        s.close()
    print("scanned %d hosts on port %d" % (last - first + 1, port))
elif sys.argv[2] == "serve":
    import threading

    def serve(port):
        s = socket.socket(socket.AF_INET6)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        s.listen(16)
        while True:
            c, _ = s.accept()
            try:
                c.sendall(b"hello from port %d\n" % port)
            except OSError:
                pass
            c.close()

    for p in sys.argv[3:]:
        threading.Thread(target=serve, args=(int(p),), daemon=True).start()
    print("serving", flush=True)
    while True:
        time.sleep(3600)
elif sys.argv[2] == "session":
    import select
    host, port, secs = socket.gethostbyname(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    t = sock()
    t.settimeout(3)
    t.connect((host, port))
    t.recv(200)  # the greeting
    t.setblocking(False)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifc)
    u.connect((host, port))
    u.setblocking(False)
    last = {"tcp": 0.0, "udp": 0.0}
    said_live = False
    end = time.time() + secs
    next_send = 0.0
    while time.time() < end:
        now = time.time()
        if now >= next_send:
            for s in (t, u):
                try:
                    s.send(b"ping\n")
                except OSError:
                    pass
            next_send = now + 0.02
        r, _, _ = select.select([t, u], [], [], 0.01)
        for s in r:
            try:
                data = s.recv(2048)
            except OSError:
                data = b""
            if data:
                last["tcp" if s is t else "udp"] = time.time()
        if not said_live and last["tcp"] and last["udp"]:
            print("live", flush=True)
            said_live = True
    print("last tcp %.3f udp %.3f" % (last["tcp"], last["udp"]), flush=True)
elif sys.argv[2] == "arp-claim":
    claimed = socket.inet_aton(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((sys.argv[1], 0))
    mac = s.getsockname()[4]
    bcast = b"\xff" * 6
    # Ethernet, then ARP reply (op 2): sender = (our MAC, claimed IP).
    frame = bcast + mac + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x02" \
        + mac + claimed + bcast + claimed
    for _ in range(3):
        s.send(frame)
        time.sleep(0.1)
    print("claimed %s" % sys.argv[3])
elif sys.argv[2] == "hold":
    import resource
    host, port, count, secs = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 64, count + 64))
    held, connected = [], 0
    for _ in range(count):
        s = sock()
        s.settimeout(0.5)
        try:
            s.connect((host, port))
            s.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
            connected += 1
        except OSError:
            pass
        held.append(s)
    print("held %d of %d" % (connected, count), flush=True)
    time.sleep(secs)
    for s in held:
        s.close()
