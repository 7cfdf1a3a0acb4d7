/* The local instance provider: a stored image (or a fresh one) booted under
 * QEMU in the background by a supervisor process, which owns QEMU and
 * records the console and the exit status (docs/cli.md, "Instances").
 *
 * Under the data directory (cli/user_dirs.h), instances/NAME/ holds
 *   disk.img     the instance's own copy of its image (sparse)
 *   meta         "image IMAGE" and "created UNIXTIME" lines
 *   state        "pid PID STARTTIME": the supervisor (STARTTIME from
 *                /proc/PID/stat, so a reused pid is not taken for it)
 *   console.log  everything the guest and pith printed
 *   status       "exit N" and "ended UNIXTIME", written when the run ended
 *   stopping     present once `pith instance stop` asked it to end
 * and the runtime directory holds instances/NAME.qmp, the QMP socket QEMU
 * listens on while it runs. */
#pragma once
#include "instance.h"

extern const struct instance_provider instance_local;
