#!/bin/sh
# The Murray bug seen from userspace. The wrong I/O mapping itself is
# invisible here (/proc/ioports and each device's resource file show the
# same ports on both kernels); what it does is not: a legacy virtio-pci
# device whose BAR the kernel cannot reach is left with no virtio device
# bound, or with its status FAILED instead of DRIVER_OK. Prints a line per
# virtio-pci function and exits 1 if any is not working.
bad=0
found=0
for dev in /sys/bus/pci/devices/*; do
	[ "$(cat "$dev/vendor")" = 0x1af4 ] || continue
	found=$((found + 1))
	name=${dev##*/}
	virtio=
	for v in "$dev"/virtio*; do
		[ -e "$v/status" ] && virtio=$v
	done
	if [ -z "$virtio" ]; then
		echo "$name: no virtio device bound (the transport could not set it up)"
		bad=1
		continue
	fi
	status=$(cat "$virtio/status")
	driver=$(basename "$(readlink "$virtio/driver")" 2>/dev/null)
	if [ $((status & 0x80)) -ne 0 ] || [ $((status & 0x4)) -eq 0 ]; then
		echo "$name: ${virtio##*/} status $status (${driver:-no driver}): not DRIVER_OK"
		bad=1
	else
		echo "$name: ${virtio##*/} status $status, ${driver:-no driver}"
	fi
done
[ "$found" -gt 0 ] || { echo "no virtio-pci function at all"; exit 2; }
exit $bad
