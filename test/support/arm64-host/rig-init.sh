#!/bin/bash
# PID 1 of the arm64 host rig: bring up what an arm64 Debian machine has
# (proc, sys, dev, /tmp, the virtio disk), run the job (rig-job.mjs), write
# its out folder onto the results disk as a tar, power off.
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
hostname kvmatrix-rig
modprobe virtio_pci
modprobe virtio_blk
for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
echo "kvmatrix-rig: up after $(cut -d' ' -f1 /proc/uptime) s; $(uname -m), $(ls -l /dev/kvm 2>&1)"
mkdir -p /kvmatrix-rig/out
node /kvmatrix-rig/job.mjs /kvmatrix-rig/job.json /kvmatrix-rig/out
echo "kvmatrix-rig: job ended with status $?"
if tar -C /kvmatrix-rig/out -cf /dev/vda . && sync; then
  echo "kvmatrix-rig: results written"
else
  echo "kvmatrix-rig: could not write the results disk"
fi
echo o > /proc/sysrq-trigger
sleep 30
