/* QEMU's machine protocol (QMP), only as far as pith needs it: to learn that
 * the VM stopped and why. QEMU keeps a VM alive after a KVM internal error or
 * a guest panic; without this, pith would wait for an exit that never comes.
 *
 * pith hands QEMU one end of a socketpair as a control-mode monitor
 * (`-chardev socket,fd=N -mon mode=control`) and feeds what arrives on its
 * own end to qmp_watch_read. Nothing here blocks: reads happen only when the
 * caller's poll says the socket is readable, and the few commands pith sends
 * are tiny. */
#pragma once
#include <stddef.h>

enum qmp_state {
    QMP_RUNNING,   /* nothing that ends the run has been seen */
    QMP_STOPPED,   /* the VM stopped for good: `status` says why */
    QMP_GONE,      /* QEMU closed the monitor (it is exiting) */
};

struct qmp_watch {
    int fd;
    int ignore_debug;          /* --gdb: a stop for the debugger is not an end */
    int negotiated;            /* the capabilities handshake is done */
    enum qmp_state state;
    char status[40];           /* QEMU's run state when it stopped, e.g. "internal-error" */
    char shutdown_reason[40];  /* from a SHUTDOWN event, e.g. "guest-reset" */
    size_t len;
    char buf[16384];           /* bytes received, not yet a whole line */
};

void qmp_watch_init(struct qmp_watch *w, int fd, int ignore_debug);

/* Reads what QEMU sent and answers it (capabilities handshake, status query
 * after a STOP event). Returns the state. */
enum qmp_state qmp_watch_read(struct qmp_watch *w);

/* One line for the user about a stop: "KVM internal error", "guest panicked"... */
const char *qmp_describe_stop(const struct qmp_watch *w);
