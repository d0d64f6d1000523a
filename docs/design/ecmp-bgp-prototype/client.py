# Holds N TCP connections to VIP:80 open; for each line on stdin ("check <label>") sends one line on every
# connection and reports how many answered, from which real server, and how many broke or changed server.
import socket, sys, select, time
vip, n = sys.argv[1], int(sys.argv[2])
conns, first = [], {}
for i in range(n):
    s = socket.socket(); s.bind(('198.51.100.2', 40000 + i)); s.settimeout(5); s.connect((vip, 80))
    conns.append(s)
def check(label):
    ok = broken = changed = 0; per = {}
    for i, s in enumerate(conns):
        if s is None: broken += 1; continue
        try:
            s.sendall(b'ping\n'); s.settimeout(1)
            data = s.recv(100).decode()
            rs = data.split()[0]
            per[rs] = per.get(rs, 0) + 1
            if first.setdefault(i, rs) != rs: changed += 1
            ok += 1
        except OSError as e:
            broken += 1; conns[i] = None
    print(f"{label}: answered {ok}, broken {broken}, answered by another real server {changed}; per real server {dict(sorted(per.items()))}", flush=True)
for line in sys.stdin:
    check(line.strip())
