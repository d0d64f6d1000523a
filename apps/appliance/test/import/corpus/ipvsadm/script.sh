#!/bin/sh
# An ipvsadm script as run at boot: the command on every line, comments, edits, deletes.
ipvsadm -C
ipvsadm --set 900 120 300

# the web VIP
ipvsadm -A -t 192.0.2.30:80 -s rr
  /sbin/ipvsadm -a -t 192.0.2.30:80 -r 192.0.2.31 -g
ipvsadm -a -t 192.0.2.30:80 -r 192.0.2.32 -g -w 5
ipvsadm -a -t 192.0.2.30:80 -r 192.0.2.33 -g
ipvsadm -e -t 192.0.2.30:80 -r 192.0.2.32 -g -w 2 -x 500 -y 400
ipvsadm -d -t 192.0.2.30:80 -r 192.0.2.33
ipvsadm -E -t 192.0.2.30:80 -s wlc -p 1800

# an old VIP, added then removed
ipvsadm -A -t [2001:db8::30]:80 -s rr
ipvsadm -D -t [2001:db8::30]:80
ipvsadm --start-daemon master --mcast-interface eth1 --syncid 5
