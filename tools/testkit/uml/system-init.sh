# PID 1 of a system boot (User-Mode Linux) until it hands over to systemd. The host
# prepends BB, LOWER, RW, MODS, KVER, MODULES and MASK, a #! line naming its busybox, and
# overlay-root.sh, which has put the cached Debian root (LOWER) at $R, read-only under a
# tmpfs overlay: every boot starts from the same clean root and nothing the guest writes
# reaches it. What it does and why: docs/testing.md ("System tests").

# The kernel's modules where Debian's kmod looks for them (read-only), so `modprobe ip_vs`
# and the kernel's own module requests work as on a Debian machine. A kernel with
# everything built in (the rig's patched one) gets a modules.builtin naming what it has
# (the /sys/module entries and the modules the suites ask for): kmod then answers that a
# module is built in instead of "not found".
$bb mkdir -p "$R/lib/modules/$KVER"
if [ -n "$MODS" ]; then
  $bb mount -t hostfs -o "ro,$MODS" hostfs "$R/lib/modules/$KVER"
else
  for m in $($bb ls /sys/module) $MODULES; do echo "kernel/$m.ko"; done > "$R/lib/modules/$KVER/modules.builtin"
  $bb chroot $R /sbin/depmod "$KVER" 2>/dev/null || echo "testkit-init: depmod $KVER failed" >&2
fi
# Node's libuv uses io_uring where the kernel offers it (see init.sh); 6.1 has no switch.
[ -e /proc/sys/kernel/io_uring_disabled ] && echo 2 > /proc/sys/kernel/io_uring_disabled

# The job directory, read-write: the agent's requests and results, and the files handed in.
$bb mkdir -p $R/testkit
$bb mount -t hostfs -o "$RW" hostfs $R/testkit

# The agent starts as early as it can (its unit has no default dependencies), and units
# that cannot work in UML or would disturb a test are masked.
U=$R/etc/systemd/system
$bb mkdir -p $U/sysinit.target.wants
$bb cp "$RW/testkit-agent.service" $U/
$bb ln -sfn ../testkit-agent.service $U/sysinit.target.wants/testkit-agent.service
for unit in $MASK; do $bb ln -sfn /dev/null "$U/$unit"; done

# systemd must be PID 1 with the overlay as its root: pivot into it (proc mounted there
# first, so the old root can be unmounted from inside), then exec systemd.
$bb mount -t proc proc $R/proc
cd $R || $bb poweroff -f
$bb mkdir -p .oldroot
if ! $bb pivot_root . .oldroot; then
  echo "testkit-init: pivot_root into the Debian root failed" >&2
  $bb poweroff -f
fi
exec /bin/sh -c 'umount -l /.oldroot && rmdir /.oldroot; exec /lib/systemd/systemd'
