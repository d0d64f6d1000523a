# TCP server on :80 that answers each line with "<name> <line>" (a real server for the e2e prototype).
import socket, sys, threading
name = sys.argv[1]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('0.0.0.0', 80)); srv.listen(512)
def serve(c):
    f = c.makefile('rwb', buffering=0)
    for line in f:
        f.write(name.encode() + b' ' + line)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
