#include "lba_io.h"
#include "../fs/blockdev.h"
#include "../klib/errno.h"
#include "../klib/string.h"

/* One bounce round: up to bounce_bytes worth of blocks covering the next
 * `count` sectors from `sector`. Returns sectors done or a negative errno. */
static int64_t via_bounce(struct lba_io *io, uint64_t sector, char *buf, uint32_t count, bool write)
{
    uint32_t per_lba = io->lba_size / SECTOR_SIZE;
    uint64_t lba = sector / per_lba;
    uint32_t head = sector % per_lba; /* sectors to skip in the first block */
    uint32_t room = io->bounce_bytes / SECTOR_SIZE - head;
    uint32_t n = MIN(count, room);
    uint32_t nlba = (head + n + per_lba - 1) / per_lba;
    size_t off = (size_t)head * SECTOR_SIZE, bytes = (size_t)n * SECTOR_SIZE;
    int rc;
    if (write) {
        /* Blocks we only partly overwrite must keep their other sectors. */
        if ((head + n) % per_lba != 0 || head != 0) {
            rc = io->raw(io, lba, nlba, io->bounce, false);
            if (rc) return rc;
        }
        memcpy(io->bounce + off, buf, bytes);
        rc = io->raw(io, lba, nlba, io->bounce, true);
    } else {
        rc = io->raw(io, lba, nlba, io->bounce, false);
        if (rc == 0) memcpy(buf, io->bounce + off, bytes);
    }
    return rc ? rc : (int64_t)n;
}

int lba_io_transfer(struct lba_io *io, uint64_t sector, char *buf, uint32_t count, bool write)
{
    if (count == 0) return 0;
    if (sector >= io->sectors || count > io->sectors - sector) return -EINVAL;
    uint32_t per_lba = io->lba_size / SECTOR_SIZE;
    bool direct_ok = ((uint64_t)buf & (io->align - 1)) == 0 &&
                     dma_linear(buf, (size_t)count * SECTOR_SIZE);
    while (count > 0) {
        int64_t done;
        uint32_t head = sector % per_lba;
        if (direct_ok && head == 0 && count >= per_lba) {
            uint32_t nlba = MIN(count / per_lba, io->max_bytes / io->lba_size);
            int rc = io->raw(io, sector / per_lba, nlba, buf, write);
            done = rc ? rc : (int64_t)nlba * per_lba;
        } else {
            /* When the buffer itself is fine, only finish the partial block
             * here, so the bulk of the request can still go direct. The
             * direct path keeps the alignment: lba_size is a multiple of it. */
            uint32_t n = count;
            if (direct_ok && head != 0) n = MIN(count, per_lba - head);
            done = via_bounce(io, sector, buf, n, write);
        }
        if (done < 0) return (int)done;
        buf += done * SECTOR_SIZE;
        sector += done;
        count -= done;
    }
    return 0;
}
