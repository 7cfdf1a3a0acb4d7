/* QMP messages are JSON objects, one per line (QEMU ends each with CR LF). */
#define _GNU_SOURCE
#include "qmp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"

void qmp_watch_init(struct qmp_watch *w, int fd, int ignore_debug)
{
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->ignore_debug = ignore_debug;
}

static void send_command(struct qmp_watch *w, const char *name)
{
    char line[96];
    int n = snprintf(line, sizeof line, "{\"execute\": \"%s\"}\n", name);
    /* A monitor that cannot take 40 bytes is gone; the caller learns that
     * from the next read. */
    ssize_t unused = send(w->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)unused;
}

static const struct json_value *member(const struct json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

static const char *member_text(const struct json_value *obj, const char *key)
{
    const struct json_value *v = member(obj, key);
    return v && v->type == JSON_STRING ? v->text : NULL;
}

static void stop_with(struct qmp_watch *w, const char *status)
{
    snprintf(w->status, sizeof w->status, "%s", status);
    w->state = QMP_STOPPED;
}

/* The run states after which the VM will not go on by itself. "debug" is
 * gdb's; "prelaunch" and "paused" before gdb lets go are its too. */
static int ends_the_run(const struct qmp_watch *w, const char *status)
{
    if (strcmp(status, "running") == 0)
        return 0;
    if (w->ignore_debug && (!strcmp(status, "debug") || !strcmp(status, "prelaunch") || !strcmp(status, "paused")))
        return 0;
    return 1;
}

static void handle_message(struct qmp_watch *w, const struct json_value *msg)
{
    if (member(msg, "QMP")) {
        send_command(w, "qmp_capabilities");
        return;
    }
    const char *event = member_text(msg, "event");
    if (event) {
        if (strcmp(event, "STOP") == 0) {
            send_command(w, "query-status");
        } else if (strcmp(event, "GUEST_PANICKED") == 0) {
            stop_with(w, "guest-panicked");
        } else if (strcmp(event, "SHUTDOWN") == 0) {
            const char *reason = member_text(member(msg, "data"), "reason");
            snprintf(w->shutdown_reason, sizeof w->shutdown_reason, "%s", reason ? reason : "");
        }
        return;
    }
    const struct json_value *ret = member(msg, "return");
    if (ret && !w->negotiated) {
        /* Events flow only from here on: a VM that stopped before this
         * (a guest dying in its first instructions) is found by asking. */
        w->negotiated = 1;
        send_command(w, "query-status");
        return;
    }
    const char *status = member_text(ret, "status");
    if (status && ends_the_run(w, status))
        stop_with(w, status);
}

enum qmp_state qmp_watch_read(struct qmp_watch *w)
{
    for (;;) {
        if (w->len == sizeof w->buf)
            w->len = 0;   /* a line this long is not one pith asked for: drop it */
        ssize_t n = recv(w->fd, w->buf + w->len, sizeof w->buf - w->len, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            if (w->state == QMP_RUNNING)
                w->state = QMP_GONE;
            return w->state;
        }
        if (n < 0)
            break;
        w->len += (size_t)n;
    }
    char *start = w->buf, *end = w->buf + w->len, *nl;
    while ((nl = memchr(start, '\n', (size_t)(end - start))) != NULL) {
        size_t len = (size_t)(nl - start);
        if (len && start[len - 1] == '\r')
            len--;
        struct json_value *msg;
        char err[128];
        if (len && json_parse(start, len, &msg, err, sizeof err) == 0) {
            if (w->state == QMP_RUNNING)
                handle_message(w, msg);
            json_free(msg);
        }
        start = nl + 1;
    }
    w->len = (size_t)(end - start);
    memmove(w->buf, start, w->len);
    return w->state;
}

const char *qmp_describe_stop(const struct qmp_watch *w)
{
    static const struct { const char *status, *text; } known[] = {
        { "internal-error", "the hypervisor stopped the VM with an internal error" },
        { "guest-panicked", "the guest panicked" },
        { "io-error", "the VM stopped on a disk I/O error on the host" },
        { "watchdog", "the guest's watchdog fired" },
        { "paused", "the VM was paused from outside" },
        { "suspended", "the guest suspended itself" },
        { "shutdown", "the VM shut down" },
        { "debug", "the VM stopped for a debugger" },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(w->status, known[i].status) == 0)
            return known[i].text;
    return "the VM stopped";
}
