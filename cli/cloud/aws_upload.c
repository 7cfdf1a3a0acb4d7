/* `pith image upload --provider aws`: StartSnapshot, the blocks through the
 * upload engine (cli/upload.c), CompleteSnapshot, RegisterImage. */
#include "aws_upload.h"

#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../upload.h"
#include "../upload_progress.h"
#include "aws_config.h"
#include "aws_ebs.h"
#include "aws_ec2.h"

#define GIB (1024ull * 1024 * 1024)

struct aws_sink {
    const struct aws_config *cfg;
    const char *snapshot;
    unsigned retries;           /* summed over the workers as they close */
};

static void *sink_open(void *ctx, char *err, size_t errlen)
{
    struct aws_sink *s = ctx;
    struct aws_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!aws_http_open(h, s->cfg, err, errlen)) {
        free(h);
        return NULL;
    }
    return h;
}

static void sink_close(void *ctx, void *worker)
{
    struct aws_sink *s = ctx;
    struct aws_http *h = worker;
    __atomic_fetch_add(&s->retries, h->retries_done, __ATOMIC_RELAXED);
    aws_http_close(h);
    free(h);
}

static bool sink_put(void *ctx, void *worker, uint64_t index, const void *data,
                     const unsigned char sha256[32], char *err, size_t errlen)
{
    struct aws_sink *s = ctx;
    char b64[64];
    EVP_EncodeBlock((unsigned char *)b64, sha256, 32);
    return ebs_put_block(worker, s->snapshot, index, data, b64, err, errlen);
}

/* The image's file name without directories and a .img/.raw suffix ("pith-" before a
 * name shorter than 3). */
static void default_ami_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, cap, "%s", base);
    size_t n = strlen(out);
    if (n > 4 && (strcmp(out + n - 4, ".img") == 0 || strcmp(out + n - 4, ".raw") == 0)) out[n - 4] = '\0';
    /* EC2 wants at least 3 characters. */
    if (strlen(out) < 3) {
        char short_name[8];
        snprintf(short_name, sizeof short_name, "%s", out);
        snprintf(out, cap, "pith-%s", short_name);
    }
}

/* AMI names: 3 to 128 of letters, digits and ()[] ./-'@_ (EC2's rule). */
static bool valid_ami_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 128) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("()[] ./-'@_", *s)))
            return false;
    return true;
}

static bool register_image(struct aws_http *h, const struct upload_options *o, const char *name,
                           const char *snapshot, char *ami, size_t cap, char *err, size_t errlen)
{
    struct ec2_params p;
    ec2_params_init(&p, "RegisterImage");
    ec2_param(&p, "Name", name);
    ec2_param(&p, "Description", "Pith unikernel image");
    ec2_param(&p, "Architecture", "x86_64");
    ec2_param(&p, "VirtualizationType", "hvm");
    ec2_param(&p, "RootDeviceName", "/dev/xvda");
    ec2_param(&p, "BlockDeviceMapping.1.DeviceName", "/dev/xvda");
    ec2_param(&p, "BlockDeviceMapping.1.Ebs.SnapshotId", snapshot);
    ec2_param(&p, "BlockDeviceMapping.1.Ebs.VolumeType", "gp3");
    ec2_param(&p, "BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true");
    ec2_param(&p, "EnaSupport", "true");
    ec2_param(&p, "BootMode", o->boot_mode);
    ec2_param(&p, "TagSpecification.1.ResourceType", "image");
    ec2_param(&p, "TagSpecification.1.Tag.1.Key", "pith:image");
    ec2_param(&p, "TagSpecification.1.Tag.1.Value", name);
    struct xml_node *root = ec2_call(h, &p, err, errlen);
    ec2_params_free(&p);
    if (!root) return false;
    const char *id = xml_text(root, "imageId");
    bool ok = strncmp(id, "ami-", 4) == 0 && strlen(id) < cap && !strpbrk(id, " \"\\");
    if (ok) strcpy(ami, id);
    else snprintf(err, errlen, "aws: ec2 RegisterImage: no image id in the reply");
    xml_free(root);
    return ok;
}

static void print_result(const struct upload_options *o, const struct aws_config *cfg, const char *ami,
                         const char *name, const char *snapshot, const struct upload_result *r)
{
    if (!o->json) {
        puts(ami);
        return;
    }
    /* Every string here is an id, a region or a name checked by valid_ami_name: nothing to escape. */
    printf("{\"provider\": \"aws\", \"region\": \"%s\", \"image_id\": \"%s\", \"name\": \"%s\", "
           "\"snapshot_id\": \"%s\", \"boot_mode\": \"%s\", \"image_bytes\": %" PRIu64 ", "
           "\"block_bytes\": %u, \"blocks_total\": %" PRIu64 ", \"blocks_data\": %" PRIu64 ", "
           "\"blocks_sent\": %" PRIu64 ", \"blocks_resumed\": %" PRIu64 ", \"retries\": %u, "
           "\"seconds\": %.3f}\n",
           cfg->region, ami, name, snapshot, o->boot_mode, r->image_bytes, EBS_BLOCK_SIZE, r->blocks_total,
           r->blocks_data, r->blocks_sent, r->blocks_resumed, r->retries, r->seconds);
}

int aws_upload_image(const struct upload_options *o)
{
    char err[1024];
    struct aws_config cfg;
    if (!aws_config_load(&cfg, o->region, o->endpoint_url, err, sizeof err)) {
        fprintf(stderr, "pith: %s\n", err);
        return 2;
    }
    char name[256];
    if (o->ami_name) snprintf(name, sizeof name, "%s", o->ami_name);
    else default_ami_name(o->stored_name ? o->stored_name : o->image_path, name, sizeof name);
    if (!valid_ami_name(name)) {
        fprintf(stderr, "pith: image upload: AMI name '%s' is not 3 to 128 letters, digits or ()[] ./-'@_ "
                "(choose one with --name)\n", name);
        return 2;
    }
    int fd = open(o->image_path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        perror(o->image_path);
        if (fd >= 0) close(fd);
        return 2;
    }
    if (sb.st_size == 0) {
        fprintf(stderr, "pith: %s: empty file, not an image\n", o->image_path);
        close(fd);
        return 2;
    }
    if (!aws_http_global_init(err, sizeof err)) {
        fprintf(stderr, "pith: %s\n", err);
        close(fd);
        return 1;
    }
    enum upload_output out = o->quiet ? UPLOAD_QUIET : isatty(2) ? UPLOAD_BAR : UPLOAD_LINES;
    struct upload_result r = { .image_bytes = (uint64_t)sb.st_size };
    r.blocks_total = (r.image_bytes + EBS_BLOCK_SIZE - 1) / EBS_BLOCK_SIZE;
    double start = upload_now();
    uint8_t *map = upload_scan(fd, r.image_bytes, EBS_BLOCK_SIZE, &r.blocks_data, err, sizeof err);
    if (!map) {
        fprintf(stderr, "pith: %s: %s\n", o->image_path, err);
        close(fd);
        return 1;
    }
    char destination[1200];
    snprintf(destination, sizeof destination, "aws\n%s\n%s", cfg.region, cfg.ebs_url);
    struct upload_state st;
    if (!upload_state_open(&st, o->image_path, destination, r.blocks_total, err, sizeof err)) {
        fprintf(stderr, "pith: %s\n", err);
        free(map);
        close(fd);
        return 1;
    }
    struct aws_http h;
    int rc = 1;
    if (!aws_http_open(&h, &cfg, err, sizeof err)) {
        fprintf(stderr, "pith: %s\n", err);
        goto out_state;
    }
    bool resumed = st.snapshot[0] != '\0';
    for (int round = 0; round < 2; round++) {
        if (!st.snapshot[0]) {
            char snap[128], desc[200];
            uint64_t gib = (r.image_bytes + GIB - 1) / GIB;
            snprintf(desc, sizeof desc, "pith image %s", name);
            if (!ebs_start_snapshot(&h, gib, desc, snap, sizeof snap, err, sizeof err) ||
                !upload_state_begin(&st, snap, err, sizeof err)) {
                fprintf(stderr, "pith: %s\n", err);
                goto out_http;
            }
            if (out != UPLOAD_QUIET)
                fprintf(stderr, "pith: uploading %s into %s: %" PRIu64 " of %" PRIu64 " blocks of 512 KiB hold data\n",
                        o->image_path, snap, r.blocks_data, r.blocks_total);
        } else if (out != UPLOAD_QUIET) {
            fprintf(stderr, "pith: resuming the upload into %s: %" PRIu64 " of %" PRIu64 " data blocks already there%s\n",
                    st.snapshot, st.done_count, r.blocks_data, st.completed ? ", snapshot complete" : "");
        }
        if (st.completed) break;
        struct aws_sink sink = { .cfg = &cfg, .snapshot = st.snapshot };
        struct upload_sink us = { &sink, EBS_BLOCK_SIZE, sink_open, sink_close, sink_put };
        bool sent = upload_blocks(fd, r.image_bytes, map, &us, &st, o->jobs, out, &r, err, sizeof err);
        r.retries += sink.retries;
        if (!sent) {
            /* A snapshot from an earlier run that takes no block at all is gone (expired,
             * or the service forgot it): start over once with a new one. */
            if (resumed && round == 0 && r.blocks_sent == 0 && !strstr(err, "could not connect")) {
                if (out != UPLOAD_QUIET)
                    fprintf(stderr, "pith: %s takes no more blocks (%s); starting a new snapshot\n", st.snapshot, err);
                upload_state_remove(&st);
                st.snapshot[0] = '\0';
                continue;
            }
            fprintf(stderr, "pith: %s; %" PRIu64 " of %" PRIu64 " blocks are in %s: run the same command again to resume\n",
                    err, st.done_count, r.blocks_data, st.snapshot);
            goto out_http;
        }
        if (!ebs_complete_snapshot(&h, st.snapshot, st.done_count, err, sizeof err)) {
            fprintf(stderr, "pith: %s (run the same command again to retry)\n", err);
            goto out_http;
        }
        upload_state_completed(&st);
        break;
    }
    char ami[128];
    if (!register_image(&h, o, name, st.snapshot, ami, sizeof ami, err, sizeof err)) {
        fprintf(stderr, "pith: %s (snapshot %s is complete: run again, with another --name if the name is taken)\n",
                err, st.snapshot);
        goto out_http;
    }
    r.retries += h.retries_done;
    r.seconds = upload_now() - start;
    upload_state_remove(&st);
    print_result(o, &cfg, ami, name, st.snapshot, &r);
    rc = 0;
out_http:
    aws_http_close(&h);
out_state:
    upload_state_close(&st);
    free(map);
    close(fd);
    return rc;
}
