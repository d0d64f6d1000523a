# Runs each request the host writes as /testkit/requests/<id>.sh, concurrently, as root in
# /, and leaves results/<id>.out, .err and (last, by rename, so the host never reads half a
# result) .rc. Requests and results live on the host's disk (hostfs): the host polls for
# the .rc, the agent polls the request directory.
cd /testkit || exit 1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
# `read -t` on a FIFO nobody writes to is a sleep without a process per poll (a process
# start costs tens of milliseconds in UML).
mkfifo /run/testkit-agent.tick && exec 3<>/run/testkit-agent.tick
mkdir -p running results
echo "$$" > ready.tmp && mv ready.tmp ready
while :; do
  for request in requests/*.sh; do
    [ -e "$request" ] || continue
    id=${request#requests/}
    id=${id%.sh}
    mv "$request" "running/$id.sh" || continue
    (
      bash "running/$id.sh" </dev/null >"results/$id.out" 2>"results/$id.err"
      echo $? >"results/$id.tmp"
      mv "results/$id.tmp" "results/$id.rc"
    ) &
  done
  read -r -t 0.1 -u 3 _ || :
done
