# Block I/O cost, sourced by test/run-tests (uses its add, record, finish,
# BUILD, PITH, LOGS, SCRATCH); the disk-fault tests are in faults.sh:
#  disk_cpu   bench/disk_cpu once per PCI disk kind on q35 (a 16 MiB file
#             read back with busybox md5sum, which must match): logs the wall,
#             user and system seconds QEMU and pith took. Timing is logged,
#             never asserted: the host is shared. Compare two builds with
#             `bench/disk_cpu OLD/pith build/pith`.

disk_cpu() {
    local log=$LOGS/disk_cpu.log tmp=$SCRATCH/disk_cpu.tmp
    mkdir -p "$tmp"
    TMPDIR=$tmp DISK_CPU_RUNS=1 DISK_CPU_MB=16 timeout -k 5 "$((TIMEOUT * 3))" bench/disk_cpu "$PITH" > "$log" 2>&1
    local rc=$? problems=""
    [ "$rc" -eq 0 ] || problems+="bench/disk_cpu exit $rc; "
    problems+=$(leftovers "$tmp")
    finish disk_cpu "$problems"
}

add disk_cpu disk_cpu

# Disk faults injected under TFS (QEMU blkdebug): faults.sh.
# shellcheck source=/dev/null
. test/disk/faults.sh
# A disk that never answers (a blkdebug breakpoint): never_answers.sh.
# shellcheck source=/dev/null
. test/disk/never_answers.sh
