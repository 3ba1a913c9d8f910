#!/usr/bin/env bash
# Records the real captures under this folder with dumpcap on the loopback interface:
#   loopback-sip-msrp.pcapng  two interfaces: SIP over UDP seen on `lo` (Ethernet), and SIP over TCP
#                             (two messages in one segment, one message split over two segments)
#                             and MSRP over TCP (a SEND split over two segments) seen on `any`
#                             (Linux cooked capture)
#   loopback-sip-udp.pcap     the SIP over UDP part, libpcap format, microsecond timestamps
#   loopback-sip-udp.pcap.gz  that file gzip-compressed
#   loopback-sip-udp-nsec.pcap  that file converted by editcap to nanosecond timestamps
# Needs root (or dumpcap capabilities) and python3. The expected content is asserted in
# harness/core/tests/offline.rs, so after re-recording run `cargo test -p rcs-harness --test offline`.
set -euo pipefail
cd "$(dirname "$0")"

filter="host 127.0.0.1 and (port 35060 or port 35061 or port 35062)"
dumpcap -q -i lo -f "udp and $filter" -i any -f "tcp and $filter" -w loopback-sip-msrp.pcapng &
ng=$!
dumpcap -q -i lo -f "udp and $filter" -P -w loopback-sip-udp.pcap &
legacy=$!
sleep 2

python3 - <<'EOF'
import socket, threading, time

def sip(start, call_id, body=b""):
    head = (start + "\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK" + call_id +
            "\r\nCall-ID: " + call_id + "\r\nCSeq: 1 MESSAGE\r\nContent-Length: %d\r\n\r\n" % len(body))
    return head.encode() + body

def server(port, reply, count):
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(1)
    def run():
        conn, _ = lsock.accept()
        got = b""
        while got.count(count[0]) < count[1]:
            got += conn.recv(65536)
        conn.sendall(reply)
        time.sleep(0.2)
        conn.close()
        lsock.close()
    t = threading.Thread(target=run)
    t.start()
    return t

def client(port, local, chunks):
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", local))
    s.connect(("127.0.0.1", port))
    for c in chunks:
        s.sendall(c)
        time.sleep(0.1)
    s.recv(65536)
    time.sleep(0.1)
    s.close()

# SIP over UDP: an OPTIONS and its answer.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 35070))
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", 35060))
u.sendto(sip("OPTIONS sip:bob@example.com SIP/2.0", "udp-1"), ("127.0.0.1", 35060))
srv.recvfrom(65536)
srv.sendto(sip("SIP/2.0 200 OK", "udp-1"), ("127.0.0.1", 35070))
u.recvfrom(65536)
time.sleep(0.1)

# SIP over TCP.
m1 = sip("MESSAGE sip:bob@example.com SIP/2.0", "tcp-1", b"first")
m2 = sip("MESSAGE sip:bob@example.com SIP/2.0", "tcp-2", b"second")
m3 = sip("MESSAGE tel:+8613800000000 SIP/2.0", "tcp-3", b"third, split over two segments")
oks = b"".join(sip("SIP/2.0 200 OK", c) for c in ("tcp-1", "tcp-2", "tcp-3"))
t = server(35061, oks, (b"\r\n\r\n", 3))
time.sleep(0.1)
client(35061, 35071, [m1 + m2, m3[:40], m3[40:]])
t.join()

# MSRP over TCP.
send = (b"MSRP a786hjs2 SEND\r\nTo-Path: msrp://127.0.0.1:35062/s1;tcp\r\n"
        b"From-Path: msrp://127.0.0.1:35072/c1;tcp\r\nMessage-ID: 87652491\r\n"
        b"Byte-Range: 1-11/11\r\nContent-Type: text/plain\r\n\r\nhello world\r\n-------a786hjs2$\r\n")
ok = (b"MSRP a786hjs2 200 OK\r\nTo-Path: msrp://127.0.0.1:35072/c1;tcp\r\n"
      b"From-Path: msrp://127.0.0.1:35062/s1;tcp\r\n-------a786hjs2$\r\n")
t = server(35062, ok, (b"-------a786hjs2$", 1))
time.sleep(0.1)
client(35062, 35072, [send[:60], send[60:]])
t.join()
EOF

sleep 1
kill -INT "$ng" "$legacy"
wait "$ng" "$legacy" || true
gzip -9 -n -k -f loopback-sip-udp.pcap
editcap -F nsecpcap loopback-sip-udp.pcap loopback-sip-udp-nsec.pcap
