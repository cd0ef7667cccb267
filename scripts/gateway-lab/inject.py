"""Sends DHCPDISCOVERs with option 161 (a MUD URL) from COUNT made-up MAC
addresses on an interface, DELAY seconds apart: new devices arriving, for
the gateway benchmark. Usage: inject.py IFACE URL COUNT DELAY FIRST"""
import socket, struct, sys, time

ifc, url, count, delay, first = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
for i in range(first, first + count):
    mac = bytes([0x02, 0x88, 0, 0, (i >> 8) & 0xFF, i & 0xFF])
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x5A000000 + i, 0, 0x8000,
                        b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"", b"")
    opts = b"\x63\x82\x53\x63" + b"\x35\x01\x01" + bytes([161, len(url)]) + url + b"\xff"
    udp_payload = bootp + opts
    udp = struct.pack("!HHHH", 68, 67, 8 + len(udp_payload), 0) + udp_payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, b"\0" * 4, b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.send(b"\xff" * 6 + mac + b"\x08\x00" + ip + udp)
    time.sleep(delay)
print("sent %d DHCPDISCOVERs" % count)
