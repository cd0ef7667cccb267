"""A device's client, bound to one interface: connect HOST PORT (prints what
the server says, exit 0; exit 1 when no connection), or scan PREFIX FIRST LAST
PORT (a bounded loop of connection attempts, as Mirai's scanner makes)."""
import socket, sys, time

ifc = sys.argv[1].encode()


def sock():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifc)
    return s


if sys.argv[2] == "connect":
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
