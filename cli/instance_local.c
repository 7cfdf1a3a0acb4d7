#define _GNU_SOURCE
#include "instance_local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cmd_run.h"
#include "image_build.h"
#include "image_store.h"
#include "pith_exit.h"
#include "sparse_file.h"
#include "user_dirs.h"
#include "workdir.h"

/* How long `stop` waits for each step: QMP quit, then SIGTERM, then SIGKILL. */
#define STOP_QUIT_MS 10000
#define STOP_TERM_MS 5000
#define STOP_KILL_MS 5000

struct instance_paths {
    char dir[PATH_MAX];
    char socket[sizeof ((struct sockaddr_un *)0)->sun_path];
};

static int usage(const char *verb, const char *text)
{
    char culprit[64];
    snprintf(culprit, sizeof culprit, "instance %s", verb);
    return pith_complain(culprit, text);
}

static int instance_paths(const char *name, int create, struct instance_paths *p, char *err, size_t errlen)
{
    char base[PATH_MAX];
    if (!instance_name_ok(name)) {
        snprintf(err, errlen, "%s: not an instance name (1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -)",
                 name);
        return -1;
    }
    if (user_dir(USER_DIR_DATA, "instances", create, base, sizeof base, err, errlen) != 0)
        return -1;
    if ((size_t)snprintf(p->dir, sizeof p->dir, "%s/%s", base, name) >= sizeof p->dir) {
        snprintf(err, errlen, "%.200s: path too long", base);
        return -1;
    }
    if (user_dir(USER_DIR_RUNTIME, "instances", create, base, sizeof base, err, errlen) != 0)
        return -1;
    if ((size_t)snprintf(p->socket, sizeof p->socket, "%s/%s.qmp", base, name) >= sizeof p->socket) {
        snprintf(err, errlen, "%.200s: too long a directory for a socket (set XDG_RUNTIME_DIR)", base);
        return -1;
    }
    return 0;
}

static void file_in(const struct instance_paths *p, const char *file, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", p->dir, file);
}

/* Write a small file whole: temp then rename. */
static int write_small(const char *path, const char *text)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    if (close(fd) != 0 || !ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- the supervisor's liveness ---- */

/* Field 22 of /proc/PID/stat (start time in clock ticks) and the state
 * letter; 0 if there is no such process. */
static unsigned long long proc_start(pid_t pid, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields count from the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    p += 2;
    if (state)
        *state = *p;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

struct supervisor {
    pid_t pid;
    unsigned long long start;
};

static int read_supervisor(const struct instance_paths *p, struct supervisor *s)
{
    char path[PATH_MAX + 16];
    file_in(p, "state", path, sizeof path);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int pid = 0;
    int ok = fscanf(f, "pid %d %llu", &pid, &s->start) == 2 && pid > 0;
    fclose(f);
    s->pid = pid;
    return ok ? 0 : -1;
}

/* The supervisor still runs (a zombie has ended: its parent just has not reaped it). */
static bool supervisor_alive(const struct supervisor *s)
{
    char state = 0;
    return s->pid > 0 && proc_start(s->pid, &state) == s->start && state != 'Z' && state != 'X';
}

static bool instance_running(const struct instance_paths *p, struct supervisor *s)
{
    return read_supervisor(p, s) == 0 && supervisor_alive(s);
}

/* Wait up to ms for the supervisor to end. */
static bool wait_gone(const struct supervisor *s, int ms)
{
    for (int waited = 0; waited < ms; waited += 20) {
        if (!supervisor_alive(s))
            return true;
        poll(NULL, 0, 20);
    }
    return !supervisor_alive(s);
}

/* ---- the supervisor ---- */

/* In the child: a session of its own, the console log for output, then
 * pith run's own code with the instance's disk, and the status at the end. */
static _Noreturn void supervise(struct pith_args *a, const struct instance_paths *p)
{
    char log[PATH_MAX + 16], status_path[PATH_MAX + 16], disk[PATH_MAX + 16], text[128];
    file_in(p, "console.log", log, sizeof log);
    file_in(p, "status", status_path, sizeof status_path);
    file_in(p, "disk.img", disk, sizeof disk);
    setsid();
    int in = open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in < 0 || out < 0)
        _exit(PITH_EXIT_USAGE);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    /* Nothing of the caller's stays open: a test's or a shell's pipe must
     * see its end when `pith instance create` returns. */
    closefrom(3);
    signal(SIGPIPE, SIG_DFL);
    a->image = disk;
    a->monitor_socket = p->socket;
    a->keep_image = NULL;
    unlink(p->socket);
    int rc = run_command(a);
    char stopping[PATH_MAX + 16];
    file_in(p, "stopping", stopping, sizeof stopping);
    if (access(stopping, F_OK) == 0)
        fprintf(stderr, "pith: instance stopped by 'pith instance stop'\n");
    fflush(stdout);
    fflush(stderr);
    unlink(p->socket);
    snprintf(text, sizeof text, "exit %d\nended %lld\n", rc, (long long)time(NULL));
    write_small(status_path, text);
    _exit(0);
}

/* ---- create ---- */

static const char create_help[] =
    "usage: pith instance create NAME [run options] --image IMAGE\n"
    "       pith instance create NAME [run options] PROG [ARGS...]\n"
    "\n"
    "Boot IMAGE (a stored image's name or an image file; the instance gets its own\n"
    "copy), or a new image for PROG, under QEMU in the background. The options are\n"
    "'pith run's (see 'pith run --help') but --gdb and --keep-image. Then:\n"
    "pith instance ls | logs [-f] NAME | stop NAME | rm NAME.\n";

/* The instance's disk: a copy of the image (holes kept), or a new one. */
static int make_disk(struct pith_args *a, const char *disk)
{
    if (!a->image) {
        struct workdir w;
        int rc = image_check_inputs(a);
        if (rc == 0 && (rc = workdir_create(&w) != 0 ? PITH_EXIT_USAGE : 0) == 0) {
            rc = image_build(a, disk, &w, 0);
            workdir_remove(&w);
        }
        return rc;
    }
    char image[PATH_MAX], why[512];
    if (image_resolve(a->image, image, sizeof image, why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_USAGE;
    }
    struct stat st;
    int src = open(image, O_RDONLY | O_CLOEXEC);
    if (src < 0 || fstat(src, &st) != 0) {
        if (src >= 0)
            close(src);
        return pith_complain(image, strerror(errno));
    }
    int dst = open(disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = dst < 0 || sparse_copy(src, dst, (uint64_t)st.st_size) != 0 || fsync(dst) != 0;
    int saved = errno;
    close(src);
    if (dst >= 0 && close(dst) != 0)
        rc = 1;
    return rc ? pith_complain(disk, strerror(saved)) : 0;
}

static int local_create(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(create_help, stdout);
        return 0;
    }
    if (argc < 3)
        return usage("create", "usage: pith instance create NAME [run options] --image IMAGE | PROG [ARGS...]");
    const char *name = argv[1];
    struct instance_paths p;
    char why[512], tmp[PATH_MAX + 32], path[PATH_MAX + 48];
    if (instance_paths(name, 1, &p, why, sizeof why) != 0)
        return pith_complain("instance create", why);
    struct stat st;
    if (lstat(p.dir, &st) == 0)
        return pith_complain(name, "an instance of that name exists (pith instance rm NAME first)");
    static struct pith_args a;
    int rc = args_parse(CMD_RUN, argc - 1, argv + 1, &a, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, rc == ARGS_HINTED ? "pith: %s\n" : "pith: %s (try 'pith instance create --help')\n", why);
        args_free(&a);
        return PITH_EXIT_USAGE;
    }
    if (a.help) {
        fputs(create_help, stdout);
        args_free(&a);
        return 0;
    }
    if (a.gdb || a.keep_image) {
        args_free(&a);
        return pith_complain("instance create", "--gdb and --keep-image are for 'pith run'");
    }
    /* Built aside, renamed into place: a failed create leaves no instance. */
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", p.dir);
    if (!mkdtemp(tmp)) {
        args_free(&a);
        return pith_complain(p.dir, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/disk.img", tmp);
    rc = make_disk(&a, path);
    if (rc == 0) {
        char meta[PATH_MAX + 64], meta_path[PATH_MAX + 40];
        snprintf(meta, sizeof meta, "image %s\ncreated %lld\n", a.image ? a.image : a.program, (long long)time(NULL));
        snprintf(meta_path, sizeof meta_path, "%s/meta", tmp);
        if (write_small(meta_path, meta) != 0)
            rc = pith_complain(meta_path, strerror(errno));
    }
    if (rc == 0 && rename(tmp, p.dir) != 0)
        rc = pith_complain(name, errno == EEXIST || errno == ENOTEMPTY ? "an instance of that name exists"
                                                                        : strerror(errno));
    if (rc != 0) {
        user_dir_remove(tmp);
        args_free(&a);
        return rc;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        rc = pith_complain("fork", strerror(errno));
        user_dir_remove(p.dir);
        args_free(&a);
        return rc;
    }
    if (pid == 0)
        supervise(&a, &p);
    char state[96], state_path[PATH_MAX + 16];
    snprintf(state, sizeof state, "pid %d %llu\n", (int)pid, proc_start(pid, NULL));
    file_in(&p, "state", state_path, sizeof state_path);
    if (write_small(state_path, state) != 0) {
        kill(pid, SIGKILL);
        rc = pith_complain(state_path, strerror(errno));
    }
    args_free(&a);
    return rc;
}

/* ---- ls ---- */

struct shown {
    char state[16];
    char status[16];
    char image[PATH_MAX];
    time_t created;
};

static void describe(const struct instance_paths *p, struct shown *s)
{
    char path[PATH_MAX + 16], line[PATH_MAX + 16];
    struct supervisor sup;
    memset(s, 0, sizeof *s);
    strcpy(s->status, "-");
    file_in(p, "meta", path, sizeof path);
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        long long t;
        if (!strncmp(line, "image ", 6))
            snprintf(s->image, sizeof s->image, "%.*s", (int)sizeof s->image - 1, line + 6);
        else if (sscanf(line, "created %lld", &t) == 1)
            s->created = (time_t)t;
    }
    if (f)
        fclose(f);
    int exit_status = -1;
    file_in(p, "status", path, sizeof path);
    if ((f = fopen(path, "re"))) {
        if (fscanf(f, "exit %d", &exit_status) != 1)
            exit_status = -1;
        fclose(f);
    }
    file_in(p, "stopping", path, sizeof path);
    bool stopping = access(path, F_OK) == 0;
    if (exit_status >= 0) {
        strcpy(s->state, stopping ? "stopped" : "exited");
        snprintf(s->status, sizeof s->status, "%d", exit_status);
    } else if (instance_running(p, &sup)) {
        strcpy(s->state, stopping ? "stopping" : "running");
    } else {
        /* The supervisor ended without its status line: killed. */
        strcpy(s->state, stopping ? "stopped" : "failed");
    }
}

static int local_ls(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("ls", "usage: pith instance ls");
    char base[PATH_MAX], why[512];
    if (user_dir(USER_DIR_DATA, "instances", 0, base, sizeof base, why, sizeof why) != 0)
        return pith_complain("instance ls", why);
    printf("%-20s %-9s %6s  %-20s %s\n", "NAME", "STATE", "STATUS", "CREATED", "IMAGE");
    struct dirent **list = NULL;
    int n = scandir(base, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        struct instance_paths p;
        if (instance_name_ok(list[i]->d_name) && !strstr(list[i]->d_name, ".tmp-") &&
            instance_paths(list[i]->d_name, 0, &p, why, sizeof why) == 0) {
            static struct shown s;
            char created[32] = "?";
            struct tm tm;
            describe(&p, &s);
            if (s.created && gmtime_r(&s.created, &tm))
                strftime(created, sizeof created, "%Y-%m-%d %H:%M:%SZ", &tm);
            printf("%-20s %-9s %6s  %-20s %s\n", list[i]->d_name, s.state, s.status, created, s.image);
        }
        free(list[i]);
    }
    free(list);
    return fflush(stdout) == 0 ? 0 : pith_complain("stdout", strerror(errno));
}

/* ---- logs ---- */

static int copy_out(int fd)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return -1;
    return fflush(stdout);
}

static int local_logs(int argc, char **argv)
{
    int follow = 0;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
            follow = 1;
        else if (argv[i][0] == '-' || name)
            return usage("logs", "usage: pith instance logs [-f] NAME");
        else
            name = argv[i];
    }
    if (!name)
        return usage("logs", "usage: pith instance logs [-f] NAME");
    struct instance_paths p;
    char why[512], log[PATH_MAX + 16];
    if (instance_paths(name, 0, &p, why, sizeof why) != 0)
        return pith_complain("instance logs", why);
    file_in(&p, "console.log", log, sizeof log);
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        struct stat st;
        if (stat(p.dir, &st) != 0)
            return pith_complain(name, "no such instance ('pith instance ls' lists them)");
        return 0;   /* not a line printed yet */
    }
    int rc = copy_out(fd);
    struct supervisor sup;
    while (rc == 0 && follow && instance_running(&p, &sup)) {
        poll(NULL, 0, 100);
        rc = copy_out(fd);
    }
    if (rc == 0)
        rc = copy_out(fd);   /* what came between the last read and the end */
    close(fd);
    return rc == 0 ? 0 : pith_complain("stdout", strerror(errno));
}

/* ---- stop, rm ---- */

/* QEMU's monitor: the greeting, capabilities, then quit. Every read is
 * bounded; a QEMU that does not answer is then stopped by signals. */
static int qmp_quit(const char *socket_path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", socket_path);
    struct timeval tv = { .tv_sec = 2 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n", quit[] = "{\"execute\":\"quit\"}\n";
        char buf[4096];
        if (read(fd, buf, sizeof buf) > 0 && write(fd, caps, sizeof caps - 1) == (ssize_t)(sizeof caps - 1) &&
            read(fd, buf, sizeof buf) > 0 && write(fd, quit, sizeof quit - 1) == (ssize_t)(sizeof quit - 1)) {
            /* Stay until QEMU answers or hangs up: closing at once may let
             * it drop the command unread. */
            while (read(fd, buf, sizeof buf) > 0)
                ;
            rc = 0;
        }
    }
    close(fd);
    return rc;
}

/* Stop the instance if it runs: QMP quit, wait; SIGTERM to the supervisor
 * (which stops QEMU), wait; SIGKILL (QEMU dies with it: PR_SET_PDEATHSIG). */
static int stop_instance(const struct instance_paths *p)
{
    char path[PATH_MAX + 16];
    struct supervisor sup;
    file_in(p, "stopping", path, sizeof path);
    if (!instance_running(p, &sup))
        return 0;
    write_small(path, "stop\n");
    /* Right after create QEMU may not listen yet (the supervisor is still
     * building its command line, or probing KVM): keep asking until it
     * does, within the same bound, rather than signal a supervisor that
     * has not yet set up its cleanup. */
    for (int waited = 0; waited < STOP_QUIT_MS; waited += 50) {
        if (qmp_quit(p->socket) == 0) {
            if (wait_gone(&sup, STOP_QUIT_MS - waited))
                return 0;
            break;
        }
        if (!supervisor_alive(&sup))
            return 0;
        poll(NULL, 0, 50);
    }
    kill(sup.pid, SIGTERM);
    if (wait_gone(&sup, STOP_TERM_MS))
        return 0;
    kill(sup.pid, SIGKILL);
    return wait_gone(&sup, STOP_KILL_MS) ? 0 : -1;
}

static int one_name(int argc, char **argv, const char *verb, struct instance_paths *p)
{
    char why[512], text[64];
    if (argc != 2) {
        snprintf(text, sizeof text, "usage: pith instance %s NAME", verb);
        return usage(verb, text);
    }
    if (instance_paths(argv[1], 0, p, why, sizeof why) != 0)
        return pith_complain(argv[1], why);
    struct stat st;
    if (stat(p->dir, &st) != 0)
        return pith_complain(argv[1], "no such instance ('pith instance ls' lists them)");
    return 0;
}

static int local_stop(int argc, char **argv)
{
    struct instance_paths p;
    int rc = one_name(argc, argv, "stop", &p);
    if (rc)
        return rc;
    if (stop_instance(&p) != 0)
        return pith_complain(argv[1], "the supervisor does not end, even killed");
    return 0;
}

static int local_rm(int argc, char **argv)
{
    struct instance_paths p;
    int rc = one_name(argc, argv, "rm", &p);
    if (rc)
        return rc;
    if (stop_instance(&p) != 0)
        return pith_complain(argv[1], "the supervisor does not end, even killed");
    user_dir_remove(p.dir);
    unlink(p.socket);
    struct stat st;
    if (stat(p.dir, &st) == 0)
        return pith_complain(p.dir, "could not remove it");
    return 0;
}

const struct instance_provider instance_local = {
    .name = "local",
    .create = local_create,
    .ls = local_ls,
    .logs = local_logs,
    .stop = local_stop,
    .rm = local_rm,
};
