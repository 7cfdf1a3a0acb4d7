/* TFS on-disk format: the constants and byte offsets shared by the reader
 * (fs/tfs_*.c, kernel and host) and the writer (cli/tfs_writer.c).
 * docs/tfs.md describes every byte; keep the two in step.
 *
 * All integers are little-endian. Fields are read and written through the
 * tfs_get/tfs_put helpers below rather than packed structs so that a
 * corrupted image can never cause an unaligned or out-of-bounds access. */
#pragma once
#include "../klib/types.h"

#define TFS_BLOCK_SIZE 4096u
#define TFS_SECTORS_PER_BLOCK (TFS_BLOCK_SIZE / 512u)
#define TFS_VERSION 1u
#define TFS_MAGIC "PITH-TFS"          /* 8 bytes, no terminator on disk */
#define TFS_MAGIC_LEN 8

/* Two superblock copies; the valid one with the higher generation wins. */
#define TFS_SUPER_BLOCK_A 0
#define TFS_SUPER_BLOCK_B 1

/* Superblock field offsets (bytes from the start of block 0 or 1). */
enum {
    TFS_SB_MAGIC = 0,          /* 8  "PITH-TFS" */
    TFS_SB_VERSION = 8,        /* u32 */
    TFS_SB_BLOCK_SIZE = 12,    /* u32, must be 4096 */
    TFS_SB_BLOCK_COUNT = 16,   /* u64, blocks in the filesystem */
    TFS_SB_UUID = 24,          /* 16 bytes */
    TFS_SB_GENERATION = 40,    /* u64, bumped on every superblock rewrite */
    TFS_SB_LOG_START = 48,     /* u64, first block of the log area */
    TFS_SB_LOG_BLOCKS = 56,    /* u64, size of the log area in blocks */
    TFS_SB_LOG_BYTES = 64,     /* u64, committed bytes of log (all must be valid) */
    TFS_SB_LOG_RECORDS = 72,   /* u64, committed record count */
    TFS_SB_FIRST_SEQ = 80,     /* u64, sequence number of the first record */
    TFS_SB_ROOT_INO = 88,      /* u64 */
    TFS_SB_DATA_START = 96,    /* u64, first block extents may use */
    TFS_SB_FEATURES = 104,     /* u32, must be 0 in version 1 */
    TFS_SB_CRC = 4092,         /* u32, crc32c of bytes 0..4091 */
};

/* Every log record starts with this 24-byte header; the next record starts
 * at the following 8-byte boundary. Records may span block boundaries. */
enum {
    TFS_REC_TYPE = 0,          /* u16 */
    TFS_REC_FLAGS = 2,         /* u16, 0 */
    TFS_REC_LEN = 4,           /* u32, payload bytes after the header */
    TFS_REC_SEQ = 8,           /* u64, first_seq + record index */
    TFS_REC_CRC = 16,          /* u32, crc32c of header (crc field zero) + payload */
    TFS_REC_RESERVED = 20,     /* u32, 0 */
    TFS_REC_HEADER_SIZE = 24,
};
#define TFS_REC_ALIGN 8u
#define TFS_MAX_RECORD (1u << 20)   /* payload limit: bounds reader memory */

enum tfs_record_type {
    TFS_REC_INODE = 1,        /* create or update an inode */
    TFS_REC_DIRENT_ADD = 2,   /* link a name in a directory */
    TFS_REC_DIRENT_DEL = 3,   /* unlink a name from a directory */
    TFS_REC_EXTENT = 4,       /* map file blocks to disk blocks */
    TFS_REC_SYMLINK = 5,      /* a symlink's target */
    TFS_REC_CONFIG = 6,       /* the boot config: program, argv, envp, flags */
    TFS_REC_INODE_FREE = 7,   /* forget an inode (no names left, not open) */
    TFS_REC_LOG_CONTINUE = 8, /* reserved: log continues in another area */
    TFS_REC_BATCH = 9,        /* several sub-records applied all or nothing */
    TFS_REC_PUNCH = 10,       /* unmap file blocks (truncate, hole punching) */
};

/* BATCH payload: sub-records, each an 8-byte sub-header then its payload,
 * padded with zeros to the next multiple of 8. Sub-records may be of any
 * type except BATCH and LOG_CONTINUE. */
enum { TFS_SUB_TYPE = 0, TFS_SUB_RESERVED = 2, TFS_SUB_LEN = 4, TFS_SUB_HEADER_SIZE = 8 };
/* DIRENT_DEL payload: 10 bytes + name. */
enum { TFS_DIRDEL_DIR = 0, TFS_DIRDEL_NAMELEN = 8, TFS_DIRDEL_NAME = 10 };
/* INODE_FREE payload (8 bytes). */
enum { TFS_IFREE_INO = 0, TFS_IFREE_LEN = 8 };
/* PUNCH payload (32 bytes): as long as an EXTENT so a compacted log is
 * never longer than the log it replaces. */
enum { TFS_PUNCH_INO = 0, TFS_PUNCH_FILE_BLOCK = 8, TFS_PUNCH_COUNT = 16, TFS_PUNCH_RESERVED = 24, TFS_PUNCH_LEN = 32 };

/* INODE payload (64 bytes). */
enum {
    TFS_INODE_INO = 0, TFS_INODE_MODE = 8, TFS_INODE_NLINK = 12, TFS_INODE_SIZE = 16,
    TFS_INODE_ATIME = 24, TFS_INODE_MTIME = 32, TFS_INODE_CTIME = 40,
    TFS_INODE_UID = 48, TFS_INODE_GID = 52, TFS_INODE_FLAGS = 56, TFS_INODE_LEN = 64,
};
/* DIRENT_ADD payload: 18 bytes + name. */
enum { TFS_DIRENT_DIR = 0, TFS_DIRENT_CHILD = 8, TFS_DIRENT_NAMELEN = 16, TFS_DIRENT_NAME = 18 };
/* EXTENT payload (32 bytes), all counts in blocks. */
enum {
    TFS_EXTENT_INO = 0, TFS_EXTENT_FILE_BLOCK = 8, TFS_EXTENT_DISK_BLOCK = 16,
    TFS_EXTENT_COUNT = 24, TFS_EXTENT_LEN = 32,
};
/* SYMLINK payload: ino then the target bytes (no terminator). */
enum { TFS_SYMLINK_INO = 0, TFS_SYMLINK_TARGET = 8 };
/* CONFIG payload: header, then NUL-terminated strings: program, argv..., envp...,
 * mount pairs, then core path and network settings when their flags (fs/tfs.h) say so */
enum {
    TFS_CONFIG_FLAGS = 0, TFS_CONFIG_ARGC = 4, TFS_CONFIG_ENVC = 8,
    TFS_CONFIG_MOUNTC = 12, TFS_CONFIG_LAYOUT_SEED = 16, TFS_CONFIG_STRINGS = 24,
};

#define TFS_NAME_MAX 255
#define TFS_SYMLINK_MAX 4095
#define TFS_CONFIG_MAX_STRINGS 4096
#define TFS_CONFIG_MAX_MOUNTS 8
/* Files may be sparse and up to 2^44 bytes (16 TiB); keeps offsets far from overflow. */
#define TFS_MAX_FILE_BLOCKS (1ull << 32)

/* Linux mode bits stored in INODE.mode. */
#define TFS_S_IFMT 0170000u
#define TFS_S_IFDIR 0040000u
#define TFS_S_IFREG 0100000u
#define TFS_S_IFLNK 0120000u
#define TFS_S_IFSOCK 0140000u   /* a bound AF_UNIX name: no data */

static inline uint16_t tfs_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t tfs_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t tfs_get64(const uint8_t *p) { return tfs_get32(p) | ((uint64_t)tfs_get32(p + 4) << 32); }
static inline void tfs_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void tfs_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void tfs_put64(uint8_t *p, uint64_t v)
{
    tfs_put32(p, (uint32_t)v);
    tfs_put32(p + 4, (uint32_t)(v >> 32));
}

/* CRC-32C (Castagnoli), the usual init/final inversion: crc = tfs_crc32c(0, p, n). */
uint32_t tfs_crc32c(uint32_t crc, const void *data, size_t len);
