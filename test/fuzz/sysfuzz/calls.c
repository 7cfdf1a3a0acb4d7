/* Every Linux x86_64 system call number with the kind of each argument
 * (values.c makes them; README.md lists the kinds) and the calls left out.
 * Kinds: f fd, b pointer, l length, i int/flags, s path, g signal, m sigset
 * pointer, z sigset size, t timeout, T itimerval, U itimerspec, p pid,
 * P pid that is not ours, a+L address+length in the map zone, c clock,
 * e sigevent, B pointer the kernel only reads (NULL or bad), k leak sink,
 * u uid/gid, o mode, v anything, M pselect6's {sigset, size} pair. */
#include "sysfuzz.h"
#include <stdio.h>

#define X(name) { name, "", SC_EXCLUDED }
#define C(name, kinds) { name, kinds, 0 }
#define FD(name, kinds) { name, kinds, SC_RET_FD }
#define ANY(name, kinds) { name, kinds, SC_RET_ANY }

const struct sc_def sc_table[SC_TABLE] = {
    [0] = C("read", "fbl"), [1] = C("write", "fbl"), [2] = FD("open", "sio"), [3] = C("close", "f"),
    [4] = C("stat", "sb"), [5] = C("fstat", "fb"), [6] = C("lstat", "sb"), [7] = C("poll", "bli"),
    [8] = ANY("lseek", "fli"), [9] = ANY("mmap", "aLiifl"), [10] = C("mprotect", "aLi"), [11] = C("munmap", "aL"),
    [12] = ANY("brk", "v"), [13] = C("rt_sigaction", "gBkz"), [14] = C("rt_sigprocmask", "imbz"),
    [15] = X("rt_sigreturn"), [16] = C("ioctl", "fiv"), [17] = C("pread64", "fbll"), [18] = C("pwrite64", "fbll"),
    [19] = C("readv", "fbi"), [20] = C("writev", "fbi"), [21] = C("access", "si"), [22] = C("pipe", "b"),
    [23] = C("select", "ibbbt"), [24] = C("sched_yield", ""), [25] = ANY("mremap", "aLlia"), [26] = C("msync", "aLi"),
    [27] = C("mincore", "aLb"), [28] = C("madvise", "aLi"), [29] = C("shmget", "iil"), [30] = ANY("shmat", "iai"),
    [31] = C("shmctl", "iib"), [32] = FD("dup", "f"), [33] = FD("dup2", "ff"), [34] = C("pause", ""),
    [35] = C("nanosleep", "tb"), [36] = C("getitimer", "ib"), [37] = C("alarm", "i"), [38] = C("setitimer", "iTb"),
    [39] = C("getpid", ""), [40] = C("sendfile", "ffbl"), [41] = FD("socket", "iii"), [42] = C("connect", "fbl"),
    [43] = FD("accept", "fbb"), [44] = C("sendto", "fblibl"), [45] = C("recvfrom", "fblibb"), [46] = C("sendmsg", "fbi"),
    [47] = C("recvmsg", "fbi"), [48] = C("shutdown", "fi"), [49] = C("bind", "fbl"), [50] = C("listen", "fi"),
    [51] = C("getsockname", "fbb"), [52] = C("getpeername", "fbb"), [53] = C("socketpair", "iiib"),
    [54] = C("setsockopt", "fiibl"), [55] = C("getsockopt", "fiibb"), [56] = X("clone"), [57] = X("fork"),
    [58] = X("vfork"), [59] = X("execve"), [60] = X("exit"), [61] = C("wait4", "pbib"), [62] = C("kill", "pg"),
    [63] = C("uname", "b"), [64] = C("semget", "iii"), [65] = C("semop", "ibl"), [66] = C("semctl", "iiiv"),
    [67] = C("shmdt", "a"), [68] = C("msgget", "ii"), [69] = C("msgsnd", "ibli"), [70] = C("msgrcv", "iblii"),
    [71] = C("msgctl", "iib"), [72] = ANY("fcntl", "fiv"), [73] = C("flock", "fi"), [74] = C("fsync", "f"),
    [75] = C("fdatasync", "f"), [76] = C("truncate", "sl"), [77] = C("ftruncate", "fl"), [78] = C("getdents", "fbl"),
    [79] = C("getcwd", "bl"), [80] = C("chdir", "s"), [81] = C("fchdir", "f"), [82] = C("rename", "ss"),
    [83] = C("mkdir", "so"), [84] = C("rmdir", "s"), [85] = FD("creat", "so"), [86] = C("link", "ss"),
    [87] = C("unlink", "s"), [88] = C("symlink", "ss"), [89] = C("readlink", "sbl"), [90] = C("chmod", "so"),
    [91] = C("fchmod", "fo"), [92] = C("chown", "suu"), [93] = C("fchown", "fuu"), [94] = C("lchown", "suu"),
    [95] = C("umask", "o"), [96] = C("gettimeofday", "bb"), [97] = C("getrlimit", "ib"), [98] = C("getrusage", "ib"),
    [99] = C("sysinfo", "b"), [100] = ANY("times", "b"), [101] = X("ptrace"), [102] = C("getuid", ""),
    [103] = C("syslog", "ibl"), [104] = C("getgid", ""), [105] = C("setuid", "u"), [106] = C("setgid", "u"),
    [107] = C("geteuid", ""), [108] = C("getegid", ""), [109] = C("setpgid", "pp"), [110] = C("getppid", ""),
    [111] = C("getpgrp", ""), [112] = C("setsid", ""), [113] = C("setreuid", "uu"), [114] = C("setregid", "uu"),
    [115] = C("getgroups", "lb"), [116] = C("setgroups", "lb"), [117] = C("setresuid", "uuu"),
    [118] = C("getresuid", "bbb"), [119] = C("setresgid", "uuu"), [120] = C("getresgid", "bbb"),
    [121] = C("getpgid", "p"), [122] = C("setfsuid", "u"), [123] = C("setfsgid", "u"), [124] = C("getsid", "p"),
    [125] = C("capget", "bb"), [126] = C("capset", "bb"), [127] = C("rt_sigpending", "bz"),
    [128] = C("rt_sigtimedwait", "mbtz"), [129] = C("rt_sigqueueinfo", "pgb"), [130] = C("rt_sigsuspend", "mz"),
    [131] = C("sigaltstack", "bk"), [132] = C("utime", "sb"), [133] = C("mknod", "soi"), [134] = C("uselib", "s"),
    [135] = C("personality", "i"), [136] = C("ustat", "ib"), [137] = C("statfs", "sb"), [138] = C("fstatfs", "fb"),
    [139] = C("sysfs", "ivb"), [140] = ANY("getpriority", "ip"), [141] = C("setpriority", "ipi"),
    [142] = C("sched_setparam", "Pb"), [143] = C("sched_getparam", "pb"), [144] = C("sched_setscheduler", "Pib"),
    [145] = C("sched_getscheduler", "p"), [146] = C("sched_get_priority_max", "i"),
    [147] = C("sched_get_priority_min", "i"), [148] = C("sched_rr_get_interval", "pb"), [149] = C("mlock", "aL"),
    [150] = C("munlock", "aL"), [151] = C("mlockall", "i"), [152] = C("munlockall", ""), [153] = C("vhangup", ""),
    [154] = C("modify_ldt", "ibl"), [155] = C("pivot_root", "ss"), [156] = C("_sysctl", "b"),
    [157] = ANY("prctl", "ivvvv"), [158] = C("arch_prctl", "ik"), [159] = C("adjtimex", "b"),
    [160] = C("setrlimit", "iB"), [161] = C("chroot", "s"), [162] = C("sync", ""), [163] = C("acct", "s"),
    [164] = C("settimeofday", "bb"), [165] = C("mount", "sssib"), [166] = C("umount2", "si"),
    [167] = C("swapon", "si"), [168] = C("swapoff", "s"), [169] = X("reboot"), [170] = C("sethostname", "bl"),
    [171] = C("setdomainname", "bl"), [172] = C("iopl", "i"), [173] = C("ioperm", "lli"),
    [174] = C("create_module", "sl"), [175] = X("init_module"), [176] = C("delete_module", "si"),
    [177] = C("get_kernel_syms", "b"), [178] = C("query_module", "sibll"), [179] = C("quotactl", "isib"),
    [180] = C("nfsservctl", "ibb"), [181] = C("getpmsg", "fbbbb"), [182] = C("putpmsg", "fbbii"),
    [183] = C("afs_syscall", "vvvvv"), [184] = C("tuxcall", "vvv"), [185] = C("security", "vvv"),
    [186] = C("gettid", ""), [187] = C("readahead", "fll"), [188] = C("setxattr", "ssbli"),
    [189] = C("lsetxattr", "ssbli"), [190] = C("fsetxattr", "fsbli"), [191] = C("getxattr", "ssbl"),
    [192] = C("lgetxattr", "ssbl"), [193] = C("fgetxattr", "fsbl"), [194] = C("listxattr", "sbl"),
    [195] = C("llistxattr", "sbl"), [196] = C("flistxattr", "fbl"), [197] = C("removexattr", "ss"),
    [198] = C("lremovexattr", "ss"), [199] = C("fremovexattr", "fs"), [200] = C("tkill", "pg"),
    [201] = ANY("time", "b"), [202] = C("futex", "biivbi"), [203] = C("sched_setaffinity", "plb"),
    [204] = C("sched_getaffinity", "plb"), [205] = C("set_thread_area", "b"), [206] = C("io_setup", "ib"),
    [207] = C("io_destroy", "v"), [208] = C("io_getevents", "viibt"), [209] = C("io_submit", "vlb"),
    [210] = C("io_cancel", "vbb"), [211] = C("get_thread_area", "b"), [212] = C("lookup_dcookie", "vbl"),
    [213] = FD("epoll_create", "i"), [214] = C("epoll_ctl_old", "vvvv"), [215] = C("epoll_wait_old", "vvvv"),
    [216] = C("remap_file_pages", "aLiii"), [217] = C("getdents64", "fbl"), [218] = C("set_tid_address", "b"),
    [219] = C("restart_syscall", ""), [220] = C("semtimedop", "iblt"), [221] = C("fadvise64", "flli"),
    [222] = C("timer_create", "cek"), [223] = C("timer_settime", "iiUb"), [224] = C("timer_gettime", "ib"),
    [225] = C("timer_getoverrun", "i"), [226] = C("timer_delete", "i"), [227] = C("clock_settime", "cb"),
    [228] = C("clock_gettime", "cb"), [229] = C("clock_getres", "cb"), [230] = C("clock_nanosleep", "citb"),
    [231] = X("exit_group"), [232] = C("epoll_wait", "fbii"), [233] = C("epoll_ctl", "fifb"),
    [234] = C("tgkill", "ppg"), [235] = C("utimes", "sb"), [236] = C("vserver", "vvv"),
    [237] = C("mbind", "aLibli"), [238] = C("set_mempolicy", "ibl"), [239] = C("get_mempolicy", "bblvi"),
    [240] = FD("mq_open", "siob"), [241] = C("mq_unlink", "s"), [242] = C("mq_timedsend", "iblit"),
    [243] = C("mq_timedreceive", "iblbt"), [244] = C("mq_notify", "ie"), [245] = C("mq_getsetattr", "ibb"),
    [246] = X("kexec_load"), [247] = C("waitid", "ipbib"), [248] = C("add_key", "ssbli"),
    [249] = C("request_key", "sssi"), [250] = ANY("keyctl", "ivvvv"), [251] = C("ioprio_set", "ipi"),
    [252] = C("ioprio_get", "ip"), [253] = FD("inotify_init", ""), [254] = C("inotify_add_watch", "fsi"),
    [255] = C("inotify_rm_watch", "fi"), [256] = C("migrate_pages", "Plbb"), [257] = FD("openat", "fsio"),
    [258] = C("mkdirat", "fso"), [259] = C("mknodat", "fsoi"), [260] = C("fchownat", "fsuui"),
    [261] = C("futimesat", "fsb"), [262] = C("newfstatat", "fsbi"), [263] = C("unlinkat", "fsi"),
    [264] = C("renameat", "fsfs"), [265] = C("linkat", "fsfsi"), [266] = C("symlinkat", "sfs"),
    [267] = C("readlinkat", "fsbl"), [268] = C("fchmodat", "fso"), [269] = C("faccessat", "fsi"),
    [270] = C("pselect6", "ibbbtM"), [271] = C("ppoll", "bltmz"), [272] = C("unshare", "i"),
    [273] = C("set_robust_list", "bl"), [274] = C("get_robust_list", "pkb"), [275] = C("splice", "fbfbli"),
    [276] = C("tee", "ffli"), [277] = C("sync_file_range", "flli"), [278] = C("vmsplice", "fbli"),
    [279] = C("move_pages", "Plbbbi"), [280] = C("utimensat", "fsbi"), [281] = C("epoll_pwait", "fbiimz"),
    [282] = FD("signalfd", "fmz"), [283] = FD("timerfd_create", "ii"), [284] = FD("eventfd", "i"),
    [285] = C("fallocate", "fill"), [286] = C("timerfd_settime", "fiUb"), [287] = C("timerfd_gettime", "fb"),
    [288] = FD("accept4", "fbbi"), [289] = FD("signalfd4", "fmzi"), [290] = FD("eventfd2", "ii"),
    [291] = FD("epoll_create1", "i"), [292] = FD("dup3", "ffi"), [293] = C("pipe2", "bi"),
    [294] = FD("inotify_init1", "i"), [295] = C("preadv", "fbill"), [296] = C("pwritev", "fbill"),
    [297] = C("rt_tgsigqueueinfo", "ppgb"), [298] = X("perf_event_open"), [299] = C("recvmmsg", "fblit"),
    [300] = FD("fanotify_init", "ii"), [301] = C("fanotify_mark", "fiifs"), [302] = C("prlimit64", "piBb"),
    [303] = C("name_to_handle_at", "fsbbi"), [304] = FD("open_by_handle_at", "fbi"), [305] = C("clock_adjtime", "cb"),
    [306] = C("syncfs", "f"), [307] = C("sendmmsg", "fbli"), [308] = C("setns", "fi"), [309] = C("getcpu", "bbb"),
    [310] = C("process_vm_readv", "pbibli"), [311] = C("process_vm_writev", "pbibli"), [312] = C("kcmp", "ppivv"),
    [313] = X("finit_module"), [314] = C("sched_setattr", "Pbi"), [315] = C("sched_getattr", "pbli"),
    [316] = C("renameat2", "fsfsi"), [317] = X("seccomp"), [318] = C("getrandom", "bli"),
    [319] = FD("memfd_create", "si"), [320] = X("kexec_file_load"), [321] = C("bpf", "ibl"), [322] = X("execveat"),
    [323] = X("userfaultfd"), [324] = C("membarrier", "iii"), [325] = C("mlock2", "aLi"),
    [326] = C("copy_file_range", "fbfbli"), [327] = C("preadv2", "fbilli"), [328] = C("pwritev2", "fbilli"),
    [329] = C("pkey_mprotect", "aLii"), [330] = C("pkey_alloc", "ii"), [331] = C("pkey_free", "i"),
    [332] = C("statx", "fsiib"), [333] = C("io_pgetevents", "viibtb"), [334] = X("rseq"),
    [424] = C("pidfd_send_signal", "fgbi"), [425] = FD("io_uring_setup", "lb"), [426] = C("io_uring_enter", "fiiibl"),
    [427] = C("io_uring_register", "fibi"), [428] = FD("open_tree", "fsi"), [429] = C("move_mount", "fsfsi"),
    [430] = FD("fsopen", "si"), [431] = C("fsconfig", "fisbi"), [432] = FD("fsmount", "fii"), [433] = FD("fspick", "fsi"),
    [434] = FD("pidfd_open", "pi"), [435] = X("clone3"), [436] = C("close_range", "iii"), [437] = FD("openat2", "fsbl"),
    [438] = FD("pidfd_getfd", "ffi"), [439] = C("faccessat2", "fsii"), [440] = C("process_madvise", "fbili"),
    [441] = C("epoll_pwait2", "fbitmz"), [442] = C("mount_setattr", "fsibl"), [443] = C("quotactl_fd", "fiib"),
    [444] = FD("landlock_create_ruleset", "bli"), [445] = C("landlock_add_rule", "fibi"),
    [446] = C("landlock_restrict_self", "fi"), [447] = FD("memfd_secret", "i"), [448] = C("process_mrelease", "fi"),
    [449] = C("futex_waitv", "bitc"), [450] = C("set_mempolicy_home_node", "aLii"), [451] = C("cachestat", "fbbi"),
    [452] = C("fchmodat2", "fsoi"), [453] = X("map_shadow_stack"), [454] = C("futex_wake", "biii"),
    [455] = C("futex_wait", "biibtc"), [456] = C("futex_requeue", "biii"), [457] = C("statmount", "bbli"),
    [458] = C("listmount", "bbli"), [459] = C("lsm_get_self_attr", "ibbi"), [460] = C("lsm_set_self_attr", "ibli"),
    [461] = C("lsm_list_modules", "bbi"), [462] = X("mseal"),
};

/* Linux takes the number as a 32-bit int (upper half ignored) and the x32
 * bit selects the x32 table: a number whose low half names an excluded call
 * could still be that call, so those are never made. */
int nr_excluded(long nr)
{
    uint32_t low = (uint32_t)nr & ~0x40000000u;
    if (low < SC_TABLE && (sc_table[low].flags & SC_EXCLUDED)) return 1;
    /* x32's own numbers (512-547) include execve, ptrace, rt_sigreturn... */
    if (((uint32_t)nr & 0x40000000u) && low >= 512 && low < 548) return 1;
    return 0;
}

long pick_nr(uint64_t *rng)
{
    for (;;) {
        long nr;
        unsigned r = (unsigned)rng_below(rng, 100);
        if (r < 45) {
            /* the calls programs make most: where the kernel has the most code */
            static const short common[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19,
                20, 21, 22, 23, 25, 28, 32, 33, 35, 40, 41, 42, 43, 44, 45, 46, 47, 49, 51, 53, 54, 55,
                62, 72, 77, 78, 79, 82, 83, 87, 89, 96, 97, 128, 130, 131, 158, 186, 200, 202, 217,
                218, 222, 223, 228, 230, 232, 233, 234, 257, 262, 263, 270, 271, 273, 275, 281, 284,
                286, 288, 290, 291, 292, 293, 295, 296, 302, 307, 299, 318, 319, 326, 332, 436, 437,
                441, 449 };
            nr = common[rng_below(rng, sizeof common / sizeof common[0])];
        } else if (r < 94) {
            nr = (long)rng_below(rng, SC_TABLE);
            if (!sc_table[nr].name) continue;  /* a hole (335-423): try again */
        } else {
            /* beyond the table: past its end, negative, huge, x32, high bits set */
            static const long odd[] = { 463, 500, 511, 512, 547, 548, 1000, 4095, 4096, 65535,
                                        0x7fffffff, -1, -2, (long)0x80000000u, (long)0xffffffffu,
                                        -0x7fffffffL - 1, 0x40000000L + 1, 0x40000000L + 39,
                                        0x100000000L + 39, 0x100000000L + 3, (long)0x8000000000000027ULL };
            if (rng_chance(rng, 1, 2)) nr = odd[rng_below(rng, sizeof odd / sizeof odd[0])];
            else if (rng_chance(rng, 1, 2)) nr = 463 + (long)rng_below(rng, 1000);
            else nr = (long)rng_next(rng);
        }
        if (!nr_excluded(nr)) return nr;
    }
}

const char *sc_name(long nr, char *buf, size_t n)
{
    if (nr >= 0 && nr < SC_TABLE && sc_table[nr].name) return sc_table[nr].name;
    snprintf(buf, n, "syscall_%ld", nr);
    return buf;
}
