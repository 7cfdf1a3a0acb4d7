/* /proc/1/task: a directory per live thread, named by its TID, holding the
 * thread's stat, status and comm (glibc's pthread_getname_np and
 * pthread_setname_np use comm for other threads), and /proc/thread-self's
 * target. Listed in increasing TID order, as Linux lists them.
 *
 * A thread's nodes are made when a walk or a listing reaches them, in one
 * of TASK_SLOTS slots chosen by TID: a slot is rewritten when another
 * thread with the same TID modulo TASK_SLOTS is reached, so a file opened
 * on one thread of a program with more threads than that may follow a
 * different thread; its text, made at open, stays the first thread's. */
#include "pseudo_internal.h"
#include "../kernel/process.h"
#include "../klib/format.h"
#include "../klib/string.h"

#define TASK_SLOTS 256

enum { TASK_STAT, TASK_STATUS, TASK_COMM, TASK_FILES };

struct task_slot {
    struct pseudo_node dir;
    struct pseudo_node files[TASK_FILES];
    struct pseudo_node *children[TASK_FILES + 1];
};

static struct task_slot slots[TASK_SLOTS];

static const struct {
    const char *name;
    void (*generate)(struct pseudo_node *, struct pseudo_text *);
    int64_t (*write)(struct pseudo_node *, const char *, size_t);
} task_files[TASK_FILES] = {
    [TASK_STAT] = { "stat", pseudo_gen_task_stat, NULL },
    [TASK_STATUS] = { "status", pseudo_gen_task_status, NULL },
    [TASK_COMM] = { "comm", pseudo_gen_task_comm, pseudo_write_task_comm },
};

/* The directory of thread tid under task_dir, with its files. */
static struct pseudo_node *task_node(struct pseudo_node *task_dir, int tid)
{
    struct task_slot *s = &slots[(unsigned)tid % TASK_SLOTS];
    /* Field by field, never a whole-struct assignment: another thread may
     * be walking this slot right now, and a struct literal would clear its
     * name for a moment (the syscall fuzzer's strlen(NULL) panic, seed
     * 3001). Every other field keeps its zero from the slot's start. */
    s->dir.kind = PSEUDO_DIR;
    s->dir.index = tid;
    s->dir.children = s->children;
    format_sn(s->dir.own_name, sizeof s->dir.own_name, "%d", tid);
    pseudo_adopt(task_dir, &s->dir, (uint64_t)tid);
    for (int i = 0; i < TASK_FILES; i++) {
        struct pseudo_node *f = &s->files[i];
        f->kind = PSEUDO_FILE;
        f->index = tid;
        f->generate = task_files[i].generate;
        f->write = task_files[i].write;
        memcpy(f->own_name, task_files[i].name, strlen(task_files[i].name) + 1);
        pseudo_adopt(&s->dir, f, (uint64_t)i);
        s->children[i] = f;
    }
    s->children[TASK_FILES] = NULL;
    return &s->dir;
}

struct lowest_tid {
    int from, found;
};

static void lowest_from(struct thread *t, void *arg)
{
    struct lowest_tid *l = arg;
    if (t->tid >= l->from && (!l->found || t->tid < l->found)) l->found = t->tid;
}

/* The live thread with the lowest TID at or above *cookie. */
static int next_task(struct pseudo_node *dir, uint64_t *cookie, struct pseudo_node **out)
{
    struct lowest_tid l = { .from = (int)MIN(*cookie, (uint64_t)INT32_MAX) };
    process_for_each_thread(current_process(), lowest_from, &l);
    if (!l.found) return 0;
    *out = task_node(dir, l.found);
    *cookie = (uint64_t)l.found + 1;
    return 1;
}

struct pseudo_node pseudo_proc_task_dir = { .name = "task", .kind = PSEUDO_DIR, .next_child = next_task };

/* /proc/thread-self: the calling thread's directory. */
const char *pseudo_thread_self(struct pseudo_node *n, char *scratch)
{
    struct thread *t = current_thread();
    format_sn(scratch, PSEUDO_SCRATCH, "%d/task/%d", PROCESS_PID, t ? t->tid : PROCESS_PID);
    return scratch;
}
