/* Host block devices for the image writer and tests. */
#include "file_blockdev.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool in_range(struct blockdev *dev, uint64_t sector, uint32_t count)
{
    return sector < dev->sectors && count <= dev->sectors - sector;
}

static int fb_read(struct blockdev *dev, uint64_t sector, void *buf, uint32_t count)
{
    struct file_blockdev *fb = container_of(dev, struct file_blockdev, dev);
    if (!in_range(dev, sector, count)) return -EIO;
    size_t len = (size_t)count * SECTOR_SIZE;
    if (fb->mem) {
        memcpy(buf, fb->mem + sector * SECTOR_SIZE, len);
        return 0;
    }
    off_t off = (off_t)((fb->first_sector + sector) * SECTOR_SIZE);
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fb->fd, (char *)buf + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -EIO;
        if (n == 0) {   /* past the end of a sparse file */
            memset((char *)buf + done, 0, len - done);
            break;
        }
        done += (size_t)n;
    }
    return 0;
}

static int fb_write(struct blockdev *dev, uint64_t sector, const void *buf, uint32_t count)
{
    struct file_blockdev *fb = container_of(dev, struct file_blockdev, dev);
    if (!in_range(dev, sector, count)) return -EIO;
    if (fb->writes_before_failure == 0) return -EIO;
    if (fb->writes_before_failure > 0) fb->writes_before_failure--;
    size_t len = (size_t)count * SECTOR_SIZE;
    if (fb->mem) {
        memcpy(fb->mem + sector * SECTOR_SIZE, buf, len);
        return 0;
    }
    off_t off = (off_t)((fb->first_sector + sector) * SECTOR_SIZE);
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fb->fd, (const char *)buf + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 && errno == ENOSPC ? -ENOSPC : -EIO;
        done += (size_t)n;
    }
    return 0;
}

/* The host path has no queue: a request is done by the time submit returns,
 * and poll reports it, so callers see the same order of events as with a
 * real device. */
static int fb_submit(struct blockdev *dev, struct bio *b)
{
    struct file_blockdev *fb = container_of(dev, struct file_blockdev, dev);
    blockdev_run_sync(dev, b);
    bio_list_add(&fb->finished, b);
    return 0;
}

static int fb_poll(struct blockdev *dev)
{
    return bio_list_complete(&container_of(dev, struct file_blockdev, dev)->finished);
}

static void init_common(struct file_blockdev *fb, uint64_t sectors, const char *name)
{
    fb->dev.sectors = sectors;
    fb->dev.read = fb_read;
    fb->dev.write = fb_write;
    fb->dev.flush = NULL;   /* pwrite completes into the host's page cache; callers fsync the fd */
    fb->dev.name = name;
    fb->dev.submit = fb_submit;
    fb->dev.poll = fb_poll;
    fb->finished = (struct bio_list){ NULL, NULL };
    fb->writes_before_failure = -1;
    fb->owns_fd = false;
}

void file_blockdev_init_fd(struct file_blockdev *fb, int fd, uint64_t first_sector, uint64_t sectors,
                           const char *name)
{
    init_common(fb, sectors, name);
    fb->fd = fd;
    fb->mem = NULL;
    fb->first_sector = first_sector;
}

void file_blockdev_init_mem(struct file_blockdev *fb, void *mem, uint64_t sectors, const char *name)
{
    init_common(fb, sectors, name);
    fb->fd = -1;
    fb->mem = mem;
    fb->first_sector = 0;
}

int file_blockdev_open(struct file_blockdev *fb, const char *path, bool writable)
{
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    file_blockdev_init_fd(fb, fd, 0, (uint64_t)st.st_size / SECTOR_SIZE, path);
    fb->owns_fd = true;
    return 0;
}

void file_blockdev_close(struct file_blockdev *fb)
{
    if (fb->owns_fd && fb->fd >= 0) close(fb->fd);
    fb->fd = -1;
    fb->owns_fd = false;
}
