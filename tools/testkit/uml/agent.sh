# Runs each request the host writes as /testkit/requests/<id>.sh, concurrently, as root in
# /, and leaves /testkit/results/<id>.out, .err and, last, .rc (the exit code, written by
# the command's EXIT trap). Requests and results live on the host's disk (hostfs): the
# host polls for the .rc, the agent polls the request directory. A process start costs
# tens of milliseconds in UML, so a command costs one (its bash) and a poll none.
T=/testkit
cd / || exit 1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
# `read -t` on a FIFO nobody writes to is a sleep without a process.
mkfifo /run/testkit-agent.tick && exec 3<>/run/testkit-agent.tick
mkdir -p $T/results
echo "$$" >$T/ready
declare -A seen
while :; do
  for request in "$T"/requests/*.sh; do
    [[ -e $request && -z ${seen[$request]} ]] || continue
    seen[$request]=1
    id=${request##*/}
    id=${id%.sh}
    # The id is baked into the trap when it is set: the script may change $1. `exit` in the
    # script, or its end, runs the trap with the script's exit status.
    bash -c 'trap "echo \$? >'"$T/results/$id.rc"'" EXIT; . "$1"' testkit-request "$request" \
      </dev/null >"$T/results/$id.out" 2>"$T/results/$id.err" &
  done
  read -r -t 0.1 -u 3 _ || :
done
