/* `pith image create NAME [options] PROG [ARGS...]`, `pith image ls` (no
 * argument: the stored images) and `pith image rm NAME`: the local image
 * store (cli/image_store.h). */
#define _GNU_SOURCE
#include "cmd_image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../fs/mbr.h"
#include "../fs/tfs.h"
#include "args.h"
#include "file_blockdev.h"
#include "host_heap.h"
#include "image_build.h"
#include "image_space.h"
#include "image_store.h"
#include "pith_exit.h"
#include "user_dirs.h"
#include "workdir.h"

static const char create_help[] =
    "usage: pith image create NAME [options] PROG [ARGS...]\n"
    "\n"
    "Build an image for PROG, as 'pith build' does (the same options but -o; see\n"
    "'pith build --help'), and keep it in the image store as NAME:\n"
    "${XDG_DATA_HOME:-~/.local/share}/pith/images/NAME. Boot it with\n"
    "'pith run --image NAME'; 'pith image ls' lists the store, 'pith image rm NAME'\n"
    "deletes one, 'pith image export NAME -o FILE' writes it out.\n";

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Build into images/.NAME.tmp-XXXXXX, then rename the directory into place. */
static int create_stored(const struct pith_args *a, const char *name)
{
    char store[PATH_MAX], final[PATH_MAX + 80], tmp[PATH_MAX + 96], image[PATH_MAX + 112], why[512];
    struct stat st;
    if (image_store_dir(1, store, sizeof store, why, sizeof why) != 0)
        return pith_complain("image create", why);
    snprintf(final, sizeof final, "%s/%s", store, name);
    if (lstat(final, &st) == 0)
        return pith_complain(name, "an image of that name exists (remove it first: pith image rm NAME)");
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", store, name) >= sizeof tmp)
        return pith_complain(store, "path too long");
    if (!mkdtemp(tmp))
        return pith_complain(store, strerror(errno));
    struct workdir w;
    int rc = workdir_create(&w) != 0 ? PITH_EXIT_USAGE : 0;
    snprintf(image, sizeof image, "%s/disk.img", tmp);
    if (rc == 0)
        rc = image_build(a, image, &w, 0);
    workdir_remove(&w);
    if (rc == 0) {
        struct image_store_meta m = { .created = time(NULL) };
        snprintf(m.program, sizeof m.program, "%s", a->program);
        if (stat(image, &st) != 0)
            rc = pith_complain(image, strerror(errno));
        m.size = (uint64_t)st.st_size;
        if (rc == 0 && (image_store_write_meta(tmp, &m, why, sizeof why) != 0 || sync_dir(tmp) != 0))
            rc = pith_complain("image create", why[0] ? why : strerror(errno));
    }
    /* rename(2) of a directory fails if the target is there: a NAME created
     * meanwhile by another pith is not overwritten. */
    if (rc == 0 && rename(tmp, final) != 0)
        rc = pith_complain(name, errno == EEXIST || errno == ENOTEMPTY
                                     ? "an image of that name exists (remove it first: pith image rm NAME)"
                                     : strerror(errno));
    if (rc != 0)
        user_dir_remove(tmp);
    else
        sync_dir(store);
    return rc;
}

int image_create(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(create_help, stdout);
        return 0;
    }
    if (argc < 3)
        return pith_complain("image create", "usage: pith image create NAME [options] PROG [ARGS...]");
    const char *name = argv[1];
    if (!image_store_name_ok(name))
        return pith_complain(name, "not an image name (1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -)");
    struct pith_args a;
    char err[512];
    /* args_parse skips its argv[0]: here the name. */
    int rc = args_parse(CMD_CREATE, argc - 1, argv + 1, &a, err, sizeof err);
    if (rc == ARGS_HINTED) {
        fprintf(stderr, "pith: %s\n", err);
        rc = PITH_EXIT_USAGE;
    } else if (rc != 0) {
        fprintf(stderr, "pith: %s (try 'pith image create --help')\n", err);
        rc = PITH_EXIT_USAGE;
    } else if (a.help) {
        fputs(create_help, stdout);
    } else if (a.image) {
        rc = pith_complain("image create", "--image: create builds a new image from PROG");
    } else if ((rc = image_check_inputs(&a)) == 0) {
        rc = create_stored(&a, name);
    }
    args_free(&a);
    return rc;
}

/* Blocks in use in the image's filesystem, read-only and quietly: a broken
 * image shows "?" in the list instead of stopping it. */
static int image_used(const char *path, uint64_t *used)
{
    struct file_blockdev fb;
    struct part_blockdev part;
    struct tfs *fs = NULL;
    char quiet[256];
    if (file_blockdev_open(&fb, path, false) != 0)
        return -1;
    int rc = -1;
    if (fb.dev.sectors && mbr_open_partition(&fb.dev, MBR_TYPE_TFS, &part, quiet, sizeof quiet) == 0 &&
        tfs_mount(host_heap(), &part.dev, &fs, quiet, sizeof quiet) == 0) {
        struct tfs_statfs st;
        if (tfs_statfs(fs, &st) == 0) {
            *used = (st.blocks - st.free_blocks) * st.block_size;
            rc = 0;
        }
        tfs_unmount(fs);
    }
    file_blockdev_close(&fb);
    return rc;
}

int image_store_ls(void)
{
    char **names, why[512];
    int n = image_store_list(&names, why, sizeof why);
    if (n < 0)
        return pith_complain("image ls", why);
    printf("%-20s %10s %10s  %-20s %s\n", "NAME", "SIZE", "USED", "CREATED", "PROGRAM");
    for (int i = 0; i < n; i++) {
        struct image_store_meta m;
        char path[PATH_MAX], size[32] = "?", used[32] = "?", created[32] = "?";
        uint64_t u;
        struct stat st;
        image_store_read_meta(names[i], &m, why, sizeof why);
        if (image_store_image_path(names[i], path, sizeof path, why, sizeof why) == 0 && stat(path, &st) == 0)
            image_human_size((uint64_t)st.st_size, size, sizeof size);
        if (image_used(path, &u) == 0)
            image_human_size(u, used, sizeof used);
        struct tm tm;
        if (m.created && gmtime_r(&m.created, &tm))
            strftime(created, sizeof created, "%Y-%m-%d %H:%M:%SZ", &tm);
        printf("%-20s %10s %10s  %-20s %s\n", names[i], size, used, created, m.program[0] ? m.program : "?");
        free(names[i]);
    }
    free(names);
    if (fflush(stdout) != 0)
        return pith_complain("stdout", strerror(errno));
    return 0;
}

int image_rm(int argc, char **argv)
{
    if (argc != 2)
        return pith_complain("image rm", "usage: pith image rm NAME");
    char path[PATH_MAX], why[512], store[PATH_MAX], gone[PATH_MAX + 32];
    const char *name = argv[1];
    struct stat st;
    if (image_store_image_path(name, path, sizeof path, why, sizeof why) != 0)
        return pith_complain("image rm", why);
    if (image_store_dir(0, store, sizeof store, why, sizeof why) != 0)
        return pith_complain("image rm", why);
    char dir[PATH_MAX + 80];
    snprintf(dir, sizeof dir, "%s/%s", store, name);
    if (lstat(dir, &st) != 0)
        return pith_complain(name, "no stored image of that name ('pith image ls' lists them)");
    /* Out of the store's names first, so no one sees it half deleted. */
    snprintf(gone, sizeof gone, "%s/.%s.rm-%ld", store, name, (long)getpid());
    if (rename(dir, gone) != 0)
        return pith_complain(dir, strerror(errno));
    user_dir_remove(gone);
    return 0;
}
