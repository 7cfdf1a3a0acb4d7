/* Mounting TFS: pick the newest valid superblock, replay the metadata log
 * into in-memory tables, and check the result is a sane tree. Every field
 * read from disk is range-checked before use; a bad image yields an error
 * message naming the record, never a crash. */
#include "tfs_internal.h"
#include "../klib/format.h"
#include "../klib/string.h"

/* ---- superblock ---- */

struct super {
    uint64_t block_count, generation, log_start, log_blocks, log_bytes, log_records;
    uint64_t first_seq, root_ino, data_start;
    uint8_t uuid[16];
};

static const char *parse_super(const uint8_t *b, struct super *sb)
{
    if (memcmp(b + TFS_SB_MAGIC, TFS_MAGIC, TFS_MAGIC_LEN) != 0) return "bad magic (not a TFS filesystem)";
    if (tfs_get32(b + TFS_SB_CRC) != tfs_crc32c(0, b, TFS_SB_CRC)) return "bad checksum";
    if (tfs_get32(b + TFS_SB_VERSION) != TFS_VERSION) return "unsupported version";
    if (tfs_get32(b + TFS_SB_BLOCK_SIZE) != TFS_BLOCK_SIZE) return "unsupported block size";
    if (tfs_get32(b + TFS_SB_FEATURES) != 0) return "unsupported feature flags";
    sb->block_count = tfs_get64(b + TFS_SB_BLOCK_COUNT);
    sb->generation = tfs_get64(b + TFS_SB_GENERATION);
    sb->log_start = tfs_get64(b + TFS_SB_LOG_START);
    sb->log_blocks = tfs_get64(b + TFS_SB_LOG_BLOCKS);
    sb->log_bytes = tfs_get64(b + TFS_SB_LOG_BYTES);
    sb->log_records = tfs_get64(b + TFS_SB_LOG_RECORDS);
    sb->first_seq = tfs_get64(b + TFS_SB_FIRST_SEQ);
    sb->root_ino = tfs_get64(b + TFS_SB_ROOT_INO);
    sb->data_start = tfs_get64(b + TFS_SB_DATA_START);
    memcpy(sb->uuid, b + TFS_SB_UUID, 16);
    return 0;
}

static int read_block(struct tfs *fs, uint64_t block, uint8_t *buf)
{
    return fs->dev->read(fs->dev, block * TFS_SECTORS_PER_BLOCK, buf, TFS_SECTORS_PER_BLOCK) ? -EIO : 0;
}

/* Fill *sb from whichever copy is valid and newer; the B copy exists so a
 * torn superblock write in the writable version still leaves one intact. */
static int choose_super(struct tfs *fs, uint8_t *buf, struct super *sb, char *err, size_t errlen)
{
    struct super cand[2];
    const char *why[2];
    uint64_t blocks[2] = { TFS_SUPER_BLOCK_A, TFS_SUPER_BLOCK_B };
    for (int i = 0; i < 2; i++) {
        if (read_block(fs, blocks[i], buf)) {
            format_sn(err, errlen, "tfs: superblock: read error at block %llu", (unsigned long long)blocks[i]);
            return -EIO;
        }
        why[i] = parse_super(buf, &cand[i]);
    }
    if (why[0] && why[1]) {
        format_sn(err, errlen, "tfs: superblock: %s", why[0]);
        return -EINVAL;
    }
    int pick = why[0] ? 1 : why[1] ? 0 : (cand[1].generation > cand[0].generation ? 1 : 0);
    *sb = cand[pick];
    return 0;
}

static const char *check_geometry(const struct super *sb, uint64_t dev_blocks)
{
    if (sb->block_count < 3) return "filesystem too small";
    if (sb->block_count > dev_blocks) return "filesystem is larger than the disk (truncated image?)";
    if (sb->log_start < 2 || sb->log_blocks == 0 || sb->log_start >= sb->block_count ||
        sb->log_blocks > sb->block_count - sb->log_start)
        return "log area outside the disk";
    if (sb->log_bytes > sb->log_blocks * TFS_BLOCK_SIZE) return "log length larger than the log area";
    if (sb->log_records > sb->log_bytes / TFS_REC_HEADER_SIZE) return "log record count larger than the log";
    /* mkfs puts the log before data_start; a compacted log lies inside the
     * data area, where the allocator keeps it out of extents. */
    if (sb->data_start < 2 || sb->data_start > sb->block_count ||
        (sb->log_start < sb->data_start && sb->data_start < sb->log_start + sb->log_blocks))
        return "data area overlaps the log or lies outside the disk";
    if (sb->root_ino == 0) return "root inode number is 0";
    return 0;
}

/* ---- in-memory tables ---- */

uint64_t tfs_hash_name(const char *name, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)name[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t hash_ino(uint64_t ino)
{
    ino ^= ino >> 33;
    ino *= 0xff51afd7ed558ccdull;
    return ino ^ (ino >> 33);
}

struct tfs_node *tfs_inode_find(struct tfs *fs, uint64_t ino)
{
    if (!fs->itab_size) return 0;
    for (struct tfs_node *n = fs->itab[hash_ino(ino) & (fs->itab_size - 1)]; n; n = n->hash_next)
        if (n->ino == ino) return n;
    return 0;
}

int tfs_inode_insert(struct tfs *fs, struct tfs_node *node)
{
    if (fs->inode_count + 1 > fs->itab_size) {
        uint64_t size = fs->itab_size ? fs->itab_size * 2 : 64;
        struct tfs_node **t = allocate_zero(fs->heap, size * sizeof(*t));
        if (!t) return -ENOMEM;
        for (uint64_t i = 0; i < fs->itab_size; i++) {
            struct tfs_node *n = fs->itab[i];
            while (n) {
                struct tfs_node *next = n->hash_next;
                uint64_t b = hash_ino(n->ino) & (size - 1);
                n->hash_next = t[b];
                t[b] = n;
                n = next;
            }
        }
        deallocate(fs->heap, fs->itab, fs->itab_size * sizeof(*t));
        fs->itab = t;
        fs->itab_size = size;
    }
    uint64_t b = hash_ino(node->ino) & (fs->itab_size - 1);
    node->hash_next = fs->itab[b];
    fs->itab[b] = node;
    fs->inode_count++;
    return 0;
}

void tfs_inode_remove(struct tfs *fs, struct tfs_node *node)
{
    struct tfs_node **pp = &fs->itab[hash_ino(node->ino) & (fs->itab_size - 1)];
    while (*pp && *pp != node) pp = &(*pp)->hash_next;
    if (*pp) {
        *pp = node->hash_next;
        fs->inode_count--;
    }
    node->hash_next = 0;
}

struct tfs_dent *tfs_dir_find(struct tfs_node *dir, const char *name, size_t len)
{
    if (!dir->nbuckets) return 0;
    uint64_t h = tfs_hash_name(name, len);
    for (struct tfs_dent *d = dir->buckets[h & (dir->nbuckets - 1)]; d; d = d->hash_next)
        if (d->hash == h && d->namelen == len && memcmp(d->name, name, len) == 0) return d;
    return 0;
}

static int dir_insert(struct tfs *fs, struct tfs_node *dir, struct tfs_dent *d)
{
    if (dir->nentries == UINT32_MAX) return -ENOSPC;
    if (dir->nentries + 1 > dir->nbuckets) {
        uint32_t size = dir->nbuckets ? dir->nbuckets * 2 : 8;
        if (!size) return -ENOSPC;
        struct tfs_dent **t = allocate_zero(fs->heap, (size_t)size * sizeof(*t));
        if (!t) return -ENOMEM;
        for (uint32_t i = 0; i < dir->nbuckets; i++) {
            struct tfs_dent *e = dir->buckets[i];
            while (e) {
                struct tfs_dent *next = e->hash_next;
                e->hash_next = t[e->hash & (size - 1)];
                t[e->hash & (size - 1)] = e;
                e = next;
            }
        }
        deallocate(fs->heap, dir->buckets, (size_t)dir->nbuckets * sizeof(*t));
        dir->buckets = t;
        dir->nbuckets = size;
    }
    if (dir->nentries == dir->order_cap) {
        uint32_t cap = dir->order_cap ? dir->order_cap * 2 : 8;
        struct tfs_dent **o = allocate(fs->heap, (size_t)cap * sizeof(*o));
        if (!o) return -ENOMEM;
        if (dir->nentries) memcpy(o, dir->order, (size_t)dir->nentries * sizeof(*o));
        deallocate(fs->heap, dir->order, (size_t)dir->order_cap * sizeof(*o));
        dir->order = o;
        dir->order_cap = cap;
    }
    d->hash_next = dir->buckets[d->hash & (dir->nbuckets - 1)];
    dir->buckets[d->hash & (dir->nbuckets - 1)] = d;
    d->index = dir->nentries;
    dir->order[dir->nentries++] = d;
    dir->nlive++;
    return 0;
}

int tfs_dir_add(struct tfs *fs, struct tfs_node *dir, const char *name, size_t len, struct tfs_node *child)
{
    struct tfs_dent *d = allocate(fs->heap, sizeof(*d) + len + 1u);
    if (!d) return -ENOMEM;
    d->child = child;
    d->namelen = (uint16_t)len;
    memcpy(d->name, name, len);
    d->name[len] = 0;
    d->hash = tfs_hash_name(d->name, len);
    if (dir_insert(fs, dir, d)) {
        deallocate(fs->heap, d, sizeof(*d) + len + 1u);
        return -ENOMEM;
    }
    child->names++;
    if (tfs_is_dir(child)) child->parent = dir;
    return 0;
}

void tfs_dir_remove(struct tfs *fs, struct tfs_node *dir, struct tfs_dent *d)
{
    struct tfs_dent **pp = &dir->buckets[d->hash & (dir->nbuckets - 1)];
    while (*pp && *pp != d) pp = &(*pp)->hash_next;
    if (*pp) *pp = d->hash_next;
    dir->order[d->index] = 0;
    dir->nlive--;
    /* Trailing holes can go: no cookie can point past them usefully. */
    while (dir->nentries && !dir->order[dir->nentries - 1]) dir->nentries--;
    d->child->names--;
    if (tfs_is_dir(d->child) && d->child->parent == dir) d->child->parent = 0;
    deallocate(fs->heap, d, sizeof(*d) + d->namelen + 1u);
}

/* ---- record replay ---- */

struct replay {
    struct tfs *fs;
    char *why;          /* reason for the current record's failure */
    size_t whylen;
};

#define FAIL(r, ...) (format_sn((r)->why, (r)->whylen, __VA_ARGS__), -EINVAL)
#define NOMEM(r) (format_sn((r)->why, (r)->whylen, "out of memory"), -ENOMEM)

static int apply_inode(struct replay *r, const uint8_t *p, uint32_t len)
{
    struct tfs *fs = r->fs;
    if (len != TFS_INODE_LEN) return FAIL(r, "inode record has length %u", len);
    uint64_t ino = tfs_get64(p + TFS_INODE_INO);
    uint32_t mode = tfs_get32(p + TFS_INODE_MODE);
    uint32_t type = mode & TFS_S_IFMT;
    if (ino == 0) return FAIL(r, "inode number 0");
    if (type != TFS_S_IFDIR && type != TFS_S_IFREG && type != TFS_S_IFLNK && type != TFS_S_IFSOCK)
        return FAIL(r, "inode %llu has unsupported mode 0%o", (unsigned long long)ino, mode);
    if (mode & ~(TFS_S_IFMT | 07777u)) return FAIL(r, "inode %llu has bad mode 0%o", (unsigned long long)ino, mode);
    uint64_t size = tfs_get64(p + TFS_INODE_SIZE);
    if (type == TFS_S_IFREG && size > TFS_MAX_FILE_BLOCKS * TFS_BLOCK_SIZE)
        return FAIL(r, "inode %llu is too large", (unsigned long long)ino);
    struct tfs_node *n = tfs_inode_find(fs, ino);
    if (n && (n->mode & TFS_S_IFMT) != type)
        return FAIL(r, "inode %llu changes type", (unsigned long long)ino);
    if (!n) {
        n = allocate_zero(fs->heap, sizeof(*n));
        if (n) n->ino = ino;
        if (!n || tfs_inode_insert(fs, n)) {
            deallocate(fs->heap, n, sizeof(*n));
            return NOMEM(r);
        }
    }
    n->mode = mode;
    n->nlink = tfs_get32(p + TFS_INODE_NLINK);
    n->size = type == TFS_S_IFLNK && n->target ? n->target_len : size;
    n->atime_ns = tfs_get64(p + TFS_INODE_ATIME);
    n->mtime_ns = tfs_get64(p + TFS_INODE_MTIME);
    n->ctime_ns = tfs_get64(p + TFS_INODE_CTIME);
    n->uid = tfs_get32(p + TFS_INODE_UID);
    n->gid = tfs_get32(p + TFS_INODE_GID);
    return 0;
}

const char *tfs_bad_name(const uint8_t *name, size_t len)
{
    if (len == 0) return "empty name";
    if (len > TFS_NAME_MAX) return "name too long";
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) return "name is . or ..";
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/' || name[i] == 0) return "name contains '/' or NUL";
    return 0;
}

static int apply_dirent(struct replay *r, const uint8_t *p, uint32_t len)
{
    struct tfs *fs = r->fs;
    if (len < TFS_DIRENT_NAME) return FAIL(r, "directory entry record too short");
    uint64_t dino = tfs_get64(p + TFS_DIRENT_DIR), cino = tfs_get64(p + TFS_DIRENT_CHILD);
    uint16_t namelen = tfs_get16(p + TFS_DIRENT_NAMELEN);
    const uint8_t *name = p + TFS_DIRENT_NAME;
    if ((uint32_t)namelen != len - TFS_DIRENT_NAME) return FAIL(r, "directory entry name length does not match the record");
    const char *why = tfs_bad_name(name, namelen);
    if (why) return FAIL(r, "directory entry: %s", why);
    struct tfs_node *dir = tfs_inode_find(fs, dino), *child = tfs_inode_find(fs, cino);
    if (!dir) return FAIL(r, "directory entry in unknown inode %llu", (unsigned long long)dino);
    if (!tfs_is_dir(dir)) return FAIL(r, "directory entry in inode %llu, which is not a directory", (unsigned long long)dino);
    if (!child) return FAIL(r, "directory entry '%.*s' names unknown inode %llu", (int)namelen, (const char *)name, (unsigned long long)cino);
    if (tfs_dir_find(dir, (const char *)name, namelen))
        return FAIL(r, "duplicate name '%.*s' in directory %llu", (int)namelen, (const char *)name, (unsigned long long)dino);
    /* One parent per directory keeps ".." well defined and rules out cycles through the root. */
    if (tfs_is_dir(child) && (cino == fs->root_ino || child->parent))
        return FAIL(r, "directory %llu linked twice", (unsigned long long)cino);
    if (tfs_dir_add(fs, dir, (const char *)name, namelen, child)) return NOMEM(r);
    return 0;
}

static int apply_dirent_del(struct replay *r, const uint8_t *p, uint32_t len)
{
    struct tfs *fs = r->fs;
    if (len < TFS_DIRDEL_NAME) return FAIL(r, "directory entry removal too short");
    uint64_t dino = tfs_get64(p + TFS_DIRDEL_DIR);
    uint16_t namelen = tfs_get16(p + TFS_DIRDEL_NAMELEN);
    if ((uint32_t)namelen != len - TFS_DIRDEL_NAME) return FAIL(r, "directory entry removal: name length does not match the record");
    struct tfs_node *dir = tfs_inode_find(fs, dino);
    if (!dir || !tfs_is_dir(dir)) return FAIL(r, "directory entry removal in inode %llu, which is not a directory", (unsigned long long)dino);
    struct tfs_dent *d = tfs_dir_find(dir, (const char *)p + TFS_DIRDEL_NAME, namelen);
    if (!d) return FAIL(r, "removal of missing name '%.*s' in directory %llu", (int)namelen, (const char *)p + TFS_DIRDEL_NAME, (unsigned long long)dino);
    tfs_dir_remove(fs, dir, d);
    return 0;
}

static int apply_inode_free(struct replay *r, const uint8_t *p, uint32_t len)
{
    struct tfs *fs = r->fs;
    if (len != TFS_IFREE_LEN) return FAIL(r, "inode free record has length %u", len);
    uint64_t ino = tfs_get64(p + TFS_IFREE_INO);
    struct tfs_node *n = tfs_inode_find(fs, ino);
    if (!n) return FAIL(r, "free of unknown inode %llu", (unsigned long long)ino);
    if (ino == fs->root_ino) return FAIL(r, "free of the root directory");
    if (n->names) return FAIL(r, "inode %llu freed while still linked", (unsigned long long)ino);
    if (tfs_is_dir(n) && n->nlive) return FAIL(r, "directory %llu freed while not empty", (unsigned long long)ino);
    tfs_inode_remove(fs, n);
    tfs_node_free(fs->heap, n);
    return 0;
}

static int apply_extent(struct replay *r, const uint8_t *p, uint32_t len)
{
    struct tfs *fs = r->fs;
    if (len != TFS_EXTENT_LEN) return FAIL(r, "extent record has length %u", len);
    uint64_t ino = tfs_get64(p + TFS_EXTENT_INO);
    struct tfs_extent e = {
        .file_block = tfs_get64(p + TFS_EXTENT_FILE_BLOCK),
        .disk_block = tfs_get64(p + TFS_EXTENT_DISK_BLOCK),
        .count = tfs_get64(p + TFS_EXTENT_COUNT),
    };
    struct tfs_node *n = tfs_inode_find(fs, ino);
    if (!n) return FAIL(r, "extent for unknown inode %llu", (unsigned long long)ino);
    if (!tfs_is_reg(n)) return FAIL(r, "extent for inode %llu, which is not a regular file", (unsigned long long)ino);
    if (e.count == 0) return FAIL(r, "empty extent");
    if (e.count > TFS_MAX_FILE_BLOCKS || e.file_block > TFS_MAX_FILE_BLOCKS - e.count)
        return FAIL(r, "extent beyond the maximum file size");
    if (e.disk_block < fs->data_start || e.disk_block >= fs->block_count || e.count > fs->block_count - e.disk_block)
        return FAIL(r, "extent outside the disk");
    if (e.disk_block < fs->log_start + fs->log_blocks && fs->log_start < e.disk_block + e.count)
        return FAIL(r, "extent overlaps the log area");
    /* A newer extent supersedes whatever the range mapped before. */
    if (tfs_extent_punch(fs->heap, n, e.file_block, e.count, 0, 0) ||
        tfs_extent_insert(fs->heap, n, e.file_block, e.disk_block, e.count))
        return NOMEM(r);
    return 0;
}

static int apply_punch(struct replay *r, const uint8_t *p, uint32_t len)
{
    struct tfs *fs = r->fs;
    if (len != TFS_PUNCH_LEN) return FAIL(r, "punch record has length %u", len);
    uint64_t ino = tfs_get64(p + TFS_PUNCH_INO), fb = tfs_get64(p + TFS_PUNCH_FILE_BLOCK);
    uint64_t count = tfs_get64(p + TFS_PUNCH_COUNT);
    struct tfs_node *n = tfs_inode_find(fs, ino);
    if (!n || !tfs_is_reg(n)) return FAIL(r, "punch for inode %llu, which is not a regular file", (unsigned long long)ino);
    if (count == 0 || fb > TFS_MAX_FILE_BLOCKS || count > TFS_MAX_FILE_BLOCKS - fb) return FAIL(r, "punch range out of bounds");
    if (tfs_extent_punch(fs->heap, n, fb, count, 0, 0)) return NOMEM(r);
    return 0;
}

static int apply_symlink(struct replay *r, const uint8_t *p, uint32_t len)
{
    struct tfs *fs = r->fs;
    if (len <= TFS_SYMLINK_TARGET) return FAIL(r, "symlink record without a target");
    uint64_t ino = tfs_get64(p + TFS_SYMLINK_INO);
    uint32_t tlen = len - TFS_SYMLINK_TARGET;
    const uint8_t *t = p + TFS_SYMLINK_TARGET;
    if (tlen > TFS_SYMLINK_MAX) return FAIL(r, "symlink target too long");
    for (uint32_t i = 0; i < tlen; i++)
        if (!t[i]) return FAIL(r, "symlink target contains NUL");
    struct tfs_node *n = tfs_inode_find(fs, ino);
    if (!n) return FAIL(r, "symlink target for unknown inode %llu", (unsigned long long)ino);
    if (!tfs_is_lnk(n)) return FAIL(r, "symlink target for inode %llu, which is not a symlink", (unsigned long long)ino);
    if (n->target) return FAIL(r, "second target for symlink %llu", (unsigned long long)ino);
    n->target = allocate(fs->heap, tlen + 1u);
    if (!n->target) return NOMEM(r);
    memcpy(n->target, t, tlen);
    n->target[tlen] = 0;
    n->target_len = tlen;
    n->size = tlen;
    return 0;
}

static void free_config(struct tfs *fs)
{
    deallocate(fs->heap, fs->config_mem, fs->config_mem_len);
    fs->config_mem = 0;
    fs->config_mem_len = 0;
    fs->has_config = false;
}

/* A later CONFIG record replaces an earlier one (log semantics). */
static int apply_config(struct replay *r, const uint8_t *p, uint32_t len)
{
    struct tfs *fs = r->fs;
    if (len < TFS_CONFIG_STRINGS) return FAIL(r, "config record too short");
    uint32_t argc = tfs_get32(p + TFS_CONFIG_ARGC), envc = tfs_get32(p + TFS_CONFIG_ENVC);
    if (argc > TFS_CONFIG_MAX_STRINGS || envc > TFS_CONFIG_MAX_STRINGS) return FAIL(r, "config has too many strings");
    uint32_t mountc = tfs_get32(p + TFS_CONFIG_MOUNTC);
    if (mountc > TFS_CONFIG_MAX_MOUNTS) return FAIL(r, "config names too many volumes");
    const char *s = (const char *)p + TFS_CONFIG_STRINGS;
    size_t slen = len - TFS_CONFIG_STRINGS;
    uint32_t flags = tfs_get32(p + TFS_CONFIG_FLAGS);
    bool has_core = (flags & TFS_CONFIG_CORE_PATH) != 0, has_net = (flags & TFS_CONFIG_NET) != 0;
    bool has_uuids = (flags & TFS_CONFIG_MOUNT_UUIDS) != 0, has_kopts = (flags & TFS_CONFIG_KERNEL_OPTIONS) != 0;
    uint32_t want = 1 + argc + envc + 2 * mountc + has_core + has_net + has_uuids + has_kopts, nuls = 0;
    for (size_t i = 0; i < slen; i++)
        if (!s[i]) nuls++;
    if (nuls != want || s[slen - 1] != 0) return FAIL(r, "config strings do not match argc/envc");
    if (s[0] != '/') return FAIL(r, "config program is not an absolute path");

    size_t ptrs = tfs_config_pointer_bytes(argc, envc, mountc);
    size_t memlen = ptrs + slen;
    uint8_t *mem = allocate(fs->heap, memlen);
    if (!mem) return NOMEM(r);
    const char **argv = (const char **)mem, **envp = argv + argc + 1, **mounts = envp + envc + 1;
    char *strings = (char *)mem + ptrs;
    memcpy(strings, s, slen);
    char *cur = strings;
    const char *program = cur;
    cur += strlen(cur) + 1;
    for (uint32_t i = 0; i < argc; i++, cur += strlen(cur) + 1) argv[i] = cur;
    argv[argc] = 0;
    for (uint32_t i = 0; i < envc; i++, cur += strlen(cur) + 1) envp[i] = cur;
    envp[envc] = 0;
    for (uint32_t i = 0; i < 2 * mountc; i++, cur += strlen(cur) + 1) mounts[i] = cur;
    mounts[2 * mountc] = 0;
    const char *core = has_core ? cur : NULL;
    if (has_core) cur += strlen(cur) + 1;
    const char *net = has_net ? cur : NULL;
    if (has_net) cur += strlen(cur) + 1;
    const char *uuids = has_uuids ? cur : NULL;
    if (has_uuids) cur += strlen(cur) + 1;
    const char *kopts = has_kopts ? cur : NULL;
    const char *bad = core && core[0] && core[0] != '/' ? "config core path is not absolute"
                      : uuids && strlen(uuids) != 32 * (size_t)mountc ? "config volume uuids do not match the volumes"
                                                                        : NULL;
    if (bad) {
        deallocate(fs->heap, mem, memlen);
        return FAIL(r, "%s", bad);
    }

    free_config(fs);
    fs->config_mem = mem;
    fs->config_mem_len = memlen;
    fs->config = (struct tfs_config){ program, (int)argc, argv, (int)envc, envp, flags,
                                      tfs_get64(p + TFS_CONFIG_LAYOUT_SEED), (int)mountc, mounts, core, net, uuids, kopts };
    fs->has_config = true;
    return 0;
}

static int apply_record(struct replay *r, uint16_t type, const uint8_t *p, uint32_t len);

/* A batch is checked whole (framing of every sub-record) before any of it
 * is applied, so a malformed batch changes nothing. */
static int apply_batch(struct replay *r, const uint8_t *p, uint32_t len)
{
    for (int pass = 0; pass < 2; pass++) {
        uint32_t pos = 0, sub = 0;
        while (pos < len) {
            if (len - pos < TFS_SUB_HEADER_SIZE) return FAIL(r, "batch: truncated sub-record header");
            uint16_t type = tfs_get16(p + pos + TFS_SUB_TYPE);
            uint32_t sl = tfs_get32(p + pos + TFS_SUB_LEN);
            if (tfs_get16(p + pos + TFS_SUB_RESERVED)) return FAIL(r, "batch: sub-record reserved field is not 0");
            if (sl > len - pos - TFS_SUB_HEADER_SIZE) return FAIL(r, "batch: sub-record %u runs past the batch", sub);
            if (type == TFS_REC_BATCH || type == TFS_REC_LOG_CONTINUE) return FAIL(r, "batch: sub-record %u has type %u", sub, type);
            if (pass == 1) {
                int rc = apply_record(r, type, p + pos + TFS_SUB_HEADER_SIZE, sl);
                if (rc) return rc;
            }
            uint64_t next = ALIGN_UP((uint64_t)pos + TFS_SUB_HEADER_SIZE + sl, (uint64_t)TFS_REC_ALIGN);
            pos = (uint32_t)MIN(next, (uint64_t)len);
            sub++;
        }
    }
    return 0;
}

static int apply_record(struct replay *r, uint16_t type, const uint8_t *p, uint32_t len)
{
    switch (type) {
    case TFS_REC_INODE: return apply_inode(r, p, len);
    case TFS_REC_DIRENT_ADD: return apply_dirent(r, p, len);
    case TFS_REC_DIRENT_DEL: return apply_dirent_del(r, p, len);
    case TFS_REC_EXTENT: return apply_extent(r, p, len);
    case TFS_REC_SYMLINK: return apply_symlink(r, p, len);
    case TFS_REC_CONFIG: return apply_config(r, p, len);
    case TFS_REC_INODE_FREE: return apply_inode_free(r, p, len);
    case TFS_REC_BATCH: return apply_batch(r, p, len);
    case TFS_REC_PUNCH: return apply_punch(r, p, len);
    case TFS_REC_LOG_CONTINUE:
        return FAIL(r, "record type %u is not supported by this reader", type);
    default: return FAIL(r, "unknown record type %u", type);
    }
}

/* ---- reading the log area as a byte stream ---- */

/* The log is read in windows of several blocks: one device request per
 * window keeps mounting a large log cheap on slow (emulated) disks. */
#define LOG_WINDOW_BLOCKS 16u
#define LOG_WINDOW_BYTES (LOG_WINDOW_BLOCKS * TFS_BLOCK_SIZE)

struct log_cursor {
    struct tfs *fs;
    uint64_t start, area_bytes, pos;
    uint8_t *window;       /* LOG_WINDOW_BYTES of the log */
    uint64_t cached;       /* index of the cached window, or ~0 */
};

/* Copy n bytes at the cursor and advance; -ERANGE past the area, -EIO on device error. */
static int log_read(struct log_cursor *c, void *dst, size_t n)
{
    if (n > c->area_bytes || c->pos > c->area_bytes - n) return -ERANGE;
    uint8_t *out = dst;
    while (n) {
        uint64_t w = c->pos / LOG_WINDOW_BYTES, in = c->pos % LOG_WINDOW_BYTES;
        if (w != c->cached) {
            uint64_t first = w * LOG_WINDOW_BLOCKS, area_blocks = c->area_bytes / TFS_BLOCK_SIZE;
            uint32_t count = (uint32_t)MIN((uint64_t)LOG_WINDOW_BLOCKS, area_blocks - first);
            if (c->fs->dev->read(c->fs->dev, (c->start + first) * TFS_SECTORS_PER_BLOCK, c->window,
                                 count * TFS_SECTORS_PER_BLOCK))
                return -EIO;
            c->cached = w;
        }
        size_t chunk = MIN(n, (size_t)(LOG_WINDOW_BYTES - in));
        memcpy(out, c->window + in, chunk);
        out += chunk;
        c->pos += chunk;
        n -= chunk;
    }
    return 0;
}

struct payload_buf {
    uint8_t *p;
    size_t cap;
};

static int ensure_payload(struct tfs *fs, struct payload_buf *pb, size_t len)
{
    if (len <= pb->cap) return 0;
    size_t cap = MAX(len, (size_t)1024);
    uint8_t *p = allocate(fs->heap, cap);
    if (!p) return -ENOMEM;
    deallocate(fs->heap, pb->p, pb->cap);
    pb->p = p;
    pb->cap = cap;
    return 0;
}

/* Replay the log. Records inside the committed length must all be valid;
 * after it, valid records with the next sequence number are replayed too
 * (the writable version appends there before rewriting the superblock) and
 * the first invalid one marks the end (a torn write). */
static int replay_log(struct tfs *fs, const struct super *sb, char *err, size_t errlen)
{
    char why[160];
    struct replay r = { fs, why, sizeof(why) };
    struct payload_buf pb = { 0, 0 };
    struct log_cursor c = { fs, sb->log_start, sb->log_blocks * TFS_BLOCK_SIZE, 0, 0, ~0ull };
    int rc = 0;
    c.window = allocate(fs->heap, LOG_WINDOW_BYTES);
    if (!c.window) {
        format_sn(err, errlen, "tfs: out of memory");
        return -ENOMEM;
    }
    uint64_t seq = sb->first_seq;
    fs->log_used = 0;
    fs->log_records = 0;
    fs->next_seq = seq;
    for (uint64_t index = 0;; index++) {
        bool committed = index < sb->log_records;
        if (!committed && index == sb->log_records && c.pos != sb->log_bytes) {
            format_sn(err, errlen, "tfs: log length %llu does not match its %llu records",
                      (unsigned long long)sb->log_bytes, (unsigned long long)sb->log_records);
            rc = -EINVAL;
            break;
        }
        uint64_t at_block = sb->log_start + c.pos / TFS_BLOCK_SIZE;
        uint8_t hdr[TFS_REC_HEADER_SIZE];
        uint64_t limit = committed ? sb->log_bytes : c.area_bytes;
        const char *bad = 0;
        if (c.pos + TFS_REC_HEADER_SIZE > limit) {
            bad = "record past the log end";
        } else if ((rc = log_read(&c, hdr, sizeof(hdr))) != 0) {
            bad = rc == -EIO ? "read error" : "record past the log end";
        } else {
            uint32_t len = tfs_get32(hdr + TFS_REC_LEN);
            if (tfs_get16(hdr + TFS_REC_TYPE) == 0) bad = "empty record (type 0)";
            else if (len > TFS_MAX_RECORD) bad = "record too large";
            else if (len > limit - c.pos) bad = "record past the log end";
            else if (tfs_get64(hdr + TFS_REC_SEQ) != seq) bad = "wrong sequence number";
            else if ((rc = ensure_payload(fs, &pb, len)) != 0) bad = "out of memory";
            else if ((rc = log_read(&c, pb.p, len)) != 0) bad = rc == -EIO ? "read error" : "record past the log end";
            else {
                uint32_t want = tfs_get32(hdr + TFS_REC_CRC);
                tfs_put32(hdr + TFS_REC_CRC, 0);
                uint32_t crc = tfs_crc32c(tfs_crc32c(0, hdr, sizeof(hdr)), pb.p, len);
                if (crc != want) bad = "bad checksum";
                else if (tfs_get16(hdr + TFS_REC_FLAGS) || tfs_get32(hdr + TFS_REC_RESERVED))
                    bad = "reserved header fields are not 0";
                else {
                    rc = apply_record(&r, tfs_get16(hdr + TFS_REC_TYPE), pb.p, len);
                    if (rc) bad = why;
                }
            }
        }
        if (bad) {
            if (!committed && rc != -EIO && rc != -ENOMEM && bad != why) { rc = 0; break; }   /* end of the tail */
            format_sn(err, errlen, "tfs: log record %llu at block %llu: %s",
                      (unsigned long long)index, (unsigned long long)at_block, bad);
            if (rc != -EIO && rc != -ENOMEM) rc = -EINVAL;
            break;
        }
        seq++;
        c.pos = ALIGN_UP(c.pos, (uint64_t)TFS_REC_ALIGN);
        fs->log_used = c.pos;
        fs->log_records = index + 1;
        fs->next_seq = seq;
    }
    deallocate(fs->heap, c.window, LOG_WINDOW_BYTES);
    deallocate(fs->heap, pb.p, pb.cap);
    return rc;
}

/* ---- whole-tree checks after replay ---- */

static int check_tree(struct tfs *fs, char *err, size_t errlen)
{
    fs->root = tfs_inode_find(fs, fs->root_ino);
    if (!fs->root || !tfs_is_dir(fs->root)) {
        format_sn(err, errlen, "tfs: root directory (inode %llu) missing", (unsigned long long)fs->root_ino);
        return -EINVAL;
    }
    fs->root->loop_checked = true;
    for (uint64_t b = 0; b < fs->itab_size; b++) {
        for (struct tfs_node *n = fs->itab[b]; n; n = n->hash_next) {
            if (tfs_is_lnk(n) && !n->target) {
                format_sn(err, errlen, "tfs: symlink inode %llu has no target", (unsigned long long)n->ino);
                return -EINVAL;
            }
            if (!tfs_is_dir(n) || n->loop_checked) continue;
            /* Walk up to the root or to an already checked directory; a walk
             * longer than the inode count means a cycle. */
            struct tfs_node *up = n;
            uint64_t steps = 0;
            while (!up->loop_checked) {
                if (!up->parent) {
                    format_sn(err, errlen, "tfs: directory inode %llu is not linked into the tree", (unsigned long long)up->ino);
                    return -EINVAL;
                }
                up = up->parent;
                if (++steps > fs->inode_count) {
                    format_sn(err, errlen, "tfs: directory loop at inode %llu", (unsigned long long)n->ino);
                    return -ELOOP;
                }
            }
            for (struct tfs_node *m = n; m != up; m = m->parent) m->loop_checked = true;
        }
    }
    return 0;
}

#define TFS_DEFAULT_CACHE_BLOCKS 256u   /* 1 MiB */

static uint64_t max_ino(struct tfs *fs)
{
    uint64_t m = fs->root_ino;
    for (uint64_t b = 0; b < fs->itab_size; b++)
        for (struct tfs_node *n = fs->itab[b]; n; n = n->hash_next) m = MAX(m, n->ino);
    return m;
}

/* The writable half of a mount: inode numbers, the free-space bitmap (which
 * fails if two files claim one block) and the log's tail. */
static int become_writable(struct tfs *fs, char *err, size_t errlen)
{
    fs->writable = true;
    fs->next_ino = max_ino(fs) + 1;
    int rc = tfs_alloc_init(fs, err, errlen);
    if (!rc) rc = tfs_log_open(fs, err, errlen);
    return rc;
}

int tfs_mount_opts(struct heap *h, struct blockdev *dev, const struct tfs_mount_options *opt, struct tfs **out,
                   char *err, size_t errlen)
{
    *out = 0;
    if (errlen) err[0] = 0;
    if (dev->sectors < 2 * TFS_SECTORS_PER_BLOCK) {
        format_sn(err, errlen, "tfs: device %s is too small for a filesystem", dev->name ? dev->name : "?");
        return -EINVAL;
    }
    struct tfs *fs = allocate_zero(h, sizeof(*fs));
    uint8_t *buf = allocate(h, TFS_BLOCK_SIZE);
    if (!fs || !buf) {
        deallocate(h, fs, sizeof(*fs));
        deallocate(h, buf, TFS_BLOCK_SIZE);
        format_sn(err, errlen, "tfs: out of memory");
        return -ENOMEM;
    }
    fs->heap = h;
    fs->dev = dev;
    if (opt) {
        fs->clock_ns = opt->clock_ns;
        fs->clock_ctx = opt->clock_ctx;
        fs->holes_filled = opt->holes_filled;
    }
    struct super sb;
    int rc = choose_super(fs, buf, &sb, err, errlen);
    deallocate(h, buf, TFS_BLOCK_SIZE);
    if (!rc) {
        const char *why = check_geometry(&sb, dev->sectors / TFS_SECTORS_PER_BLOCK);
        if (why) {
            format_sn(err, errlen, "tfs: superblock: %s", why);
            rc = -EINVAL;
        }
    }
    if (!rc) {
        fs->block_count = sb.block_count;
        fs->data_start = sb.data_start;
        fs->root_ino = sb.root_ino;
        fs->generation = sb.generation;
        fs->log_start = sb.log_start;
        fs->log_blocks = sb.log_blocks;
        fs->first_seq = sb.first_seq;
        memcpy(fs->uuid, sb.uuid, 16);
        rc = replay_log(fs, &sb, err, errlen);
    }
    if (!rc) rc = check_tree(fs, err, errlen);
    if (!rc) {
        uint32_t blocks = opt && opt->cache_blocks ? opt->cache_blocks : TFS_DEFAULT_CACHE_BLOCKS;
        rc = tfs_cache_create(h, dev, blocks, &fs->cache);
        if (rc) format_sn(err, errlen, "tfs: out of memory");
        else if (opt && opt->lent_in_use) tfs_cache_watch_lent(fs->cache, opt->lent_in_use);
    }
    if (!rc && !(opt && (opt->flags & TFS_MOUNT_READONLY))) rc = become_writable(fs, err, errlen);
    if (rc) {
        fs->writable = false;
        tfs_unmount(fs);
        return rc;
    }
    *out = fs;
    return 0;
}

int tfs_make_writable(struct tfs *fs, const struct tfs_mount_options *opt, char *err, size_t errlen)
{
    if (fs->writable) return 0;
    /* The read-only mount's cache holds nothing dirty or lent: swap it for
     * one of the size asked for. */
    struct tfs_cache *cache;
    uint32_t blocks = opt->cache_blocks ? opt->cache_blocks : TFS_DEFAULT_CACHE_BLOCKS;
    if (tfs_cache_create(fs->heap, fs->dev, blocks, &cache)) {
        format_sn(err, errlen, "tfs: out of memory");
        return -ENOMEM;
    }
    tfs_cache_destroy(fs->cache);
    fs->cache = cache;
    if (opt->lent_in_use) tfs_cache_watch_lent(cache, opt->lent_in_use);
    fs->clock_ns = opt->clock_ns;
    fs->clock_ctx = opt->clock_ctx;
    fs->holes_filled = opt->holes_filled;
    int rc = become_writable(fs, err, errlen);
    if (rc) fs->writable = false;
    return rc;
}

int tfs_mount(struct heap *h, struct blockdev *dev, struct tfs **out, char *err, size_t errlen)
{
    struct tfs_mount_options opt = { .flags = TFS_MOUNT_READONLY };
    return tfs_mount_opts(h, dev, &opt, out, err, errlen);
}

void tfs_node_free(struct heap *h, struct tfs_node *n)
{
    for (uint32_t i = 0; i < n->nentries; i++)
        if (n->order[i]) deallocate(h, n->order[i], sizeof(struct tfs_dent) + n->order[i]->namelen + 1u);
    deallocate(h, n->buckets, (size_t)n->nbuckets * sizeof(*n->buckets));
    deallocate(h, n->order, (size_t)n->order_cap * sizeof(*n->order));
    deallocate(h, n->extents, (size_t)n->extents_cap * sizeof(*n->extents));
    deallocate(h, n->target, n->target_len + 1u);
    deallocate(h, n, sizeof(*n));
}

int tfs_unmount(struct tfs *fs)
{
    if (!fs) return 0;
    int rc = fs->writable && !fs->broken ? tfs_sync_locked(fs) : 0;
    struct heap *h = fs->heap;
    for (uint64_t b = 0; b < fs->itab_size; b++) {
        struct tfs_node *n = fs->itab[b];
        while (n) {
            struct tfs_node *next = n->hash_next;
            tfs_node_free(h, n);
            n = next;
        }
    }
    while (fs->dead_list) {
        struct tfs_node *next = fs->dead_list->dead_next;
        tfs_node_free(h, fs->dead_list);
        fs->dead_list = next;
    }
    deallocate(h, fs->itab, fs->itab_size * sizeof(*fs->itab));
    free_config(fs);
    if (fs->cache) tfs_cache_destroy(fs->cache);
    deallocate(h, fs->bitmap, fs->bitmap_words * sizeof(uint64_t));
    deallocate(h, fs->pend, fs->pend_cap);
    deallocate(h, fs->pfree, fs->pfree_cap * sizeof(*fs->pfree));
    deallocate(h, fs, sizeof(*fs));
    return rc;
}

void tfs_cache_usage_locked(struct tfs *fs, uint64_t *blocks, uint64_t *dirty)
{
    uint32_t b = 0, d = 0;
    if (fs->cache) tfs_cache_stats(fs->cache, &b, &d);
    *blocks = b;
    *dirty = d;
}

size_t tfs_reclaim_locked(struct tfs *fs, size_t want) { return fs->cache ? tfs_cache_shrink(fs->cache, want) : 0; }
