#!/bin/bash
# Issue #25: BGP password (TCP-MD5, RFC 2385) between two BIRD instances in the UML kernel, a password change
# through 'birdc configure', 'configure check', and 'configure timeout' / 'configure undo' (a safe apply).
# Run: cd apps/appliance && npx sluice-testkit kernel -- bash ../../docs/design/ecmp-bgp-prototype/md5.sh
HERE=$(cd "$(dirname "$0")" && pwd)
set -u
W=/run/i25m; mkdir -p $W
ip netns add r; ip netns add b
ip -n r link add eth0 type veth peer name eth0 netns b
ip -n r addr add 192.0.2.1/24 dev eth0; ip -n r link set eth0 up; ip -n r link set lo up
ip -n b addr add 192.0.2.11/24 dev eth0; ip -n b link set eth0 up; ip -n b link set lo up
T='hold time 3; keepalive time 1; connect delay time 1; connect retry time 1; error wait time 1, 5;'
conf() { # file local-as neighbor neighbor-as password extra
	cat >$1 <<CONF
router id $3;
protocol device {}
protocol static vips { ipv4; $6 }
protocol bgp peer { local as $2; neighbor $3 as $4; password "$5"; $T ipv4 { import all; export where proto = "vips"; }; }
CONF
}
conf $W/r.conf 64496 192.0.2.11 64497 'secret-1' ''
conf $W/b.conf 64497 192.0.2.1 64496 'secret-1' 'route 203.0.113.10/32 blackhole;'
ip netns exec r bird -c $W/r.conf -s $W/r.ctl -P $W/r.pid
ip netns exec b bird -c $W/b.conf -s $W/b.ctl -P $W/b.pid
sleep 3
echo "--- same password:"; birdc -s $W/r.ctl show protocols peer | tail -1
echo "--- TCP-MD5 on the socket (ss -tie shows md5):"; ip netns exec r ss -tni 'sport = :179 or dport = :179' | grep -o 'md5[^ ]*' | head -2
conf $W/b.conf 64497 192.0.2.1 64496 'secret-2' 'route 203.0.113.10/32 blackhole;'
birdc -s $W/b.ctl configure check
birdc -s $W/b.ctl configure; sleep 5
echo "--- after b's password changed alone:"; birdc -s $W/r.ctl show protocols peer | tail -1
conf $W/r.conf 64496 192.0.2.11 64497 'secret-2' ''
birdc -s $W/r.ctl configure; sleep 4
echo "--- after r's password changed too:"; birdc -s $W/r.ctl show protocols peer | tail -1
echo "--- configure check on a broken file:"
echo 'protocol bgp q { nonsense; }' >>$W/b.conf
birdc -s $W/b.ctl configure check; echo "rc=$?"
birdc -s $W/b.ctl configure; echo "rc=$? (the running config stays)"
echo "--- configure timeout + undo (rollback if not confirmed):"
conf $W/b.conf 64497 192.0.2.1 64496 'secret-2' ''
birdc -s $W/b.ctl configure timeout 5; sleep 1
echo "routes at r during the trial: $(birdc -s $W/r.ctl show route count | tail -1)"
sleep 6
echo "routes at r after the timeout (undone): $(birdc -s $W/r.ctl show route count | tail -1)"
kill $(cat $W/r.pid) $(cat $W/b.pid)
