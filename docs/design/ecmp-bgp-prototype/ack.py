# Sends bare TCP ACK segments (no SYN) from 198.51.100.50:sport to VIP:vport: a flow that arrives mid-stream,
# as after an ECMP change moved it to another balancer.
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, vip = '198.51.100.50', sys.argv[1]
vport, first, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for sp in range(first, first + n):
    hdr = struct.pack('!HHIIBBHHH', sp, vport, 1000, 2000, 5 << 4, 0x10, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(vip) + struct.pack('!BBH', 0, 6, len(hdr))
    hdr = hdr[:16] + struct.pack('!H', csum(pseudo + hdr)) + hdr[18:]
    s.sendto(hdr, (vip, 0))
