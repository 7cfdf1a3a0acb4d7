#include "nvme.h"
#include "lba_io.h"
#include "blk_engine.h"
#include "msix.h"
#include "../klib/format.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../kernel/clock.h"
#include "../kernel/console.h"
#include "devlog.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define PCI_CLASS_STORAGE 0x01
#define PCI_SUBCLASS_NVM 0x08
#define PCI_PROG_IF_NVME 0x02

/* Controller registers (BAR 0). */
#define REG_CAP 0x00
#define REG_VS 0x08
#define REG_INTMS 0x0c
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define REG_DOORBELLS 0x1000

#define CAP_MQES(c) ((uint32_t)((c) & 0xffff))        /* 0-based */
#define CAP_TO_500MS(c) ((uint32_t)(((c) >> 24) & 0xff))
#define CAP_DSTRD(c) ((uint32_t)(((c) >> 32) & 0xf))
#define CAP_CSS_NVM(c) (((c) >> 37) & 1)
#define CAP_MPSMIN(c) ((uint32_t)(((c) >> 48) & 0xf))

#define CC_EN (1u << 0)
#define CC_IOSQES_64 (6u << 16)
#define CC_IOCQES_16 (4u << 20)
#define CSTS_RDY (1u << 0)
#define CSTS_CFS (1u << 1)

#define ADMIN_DELETE_SQ 0x00
#define ADMIN_CREATE_SQ 0x01
#define ADMIN_CREATE_CQ 0x05
#define CQ_PC (1u << 0)  /* Create I/O CQ, dword 11: physically contiguous */
#define CQ_IEN (1u << 1) /* interrupts enabled */
#define IO_CQ_MSIX_ENTRY 1
#define ADMIN_IDENTIFY 0x06
#define ADMIN_SET_FEATURES 0x09
#define FEATURE_NUM_QUEUES 0x07
#define IDENTIFY_NAMESPACE 0
#define IDENTIFY_CONTROLLER 1

#define NVM_FLUSH 0x00
#define NVM_WRITE 0x01
#define NVM_READ 0x02

/* Identify data offsets. */
#define IDC_MDTS 77
#define IDC_NN 516
#define IDC_VWC 525
#define IDN_NSZE 0
#define IDN_NLBAF 25
#define IDN_FLBAS 26
#define IDN_LBAF0 128

#define NSID 1
#define ADMIN_QUEUE_ENTRIES 32
#define IO_QUEUE_ENTRIES 64
#define ADMIN_SLOTS 4 /* admin commands are synchronous: one at a time */
/* I/O commands in flight: one less than the queue, whose tail may never
 * catch up with its head. */
#define IO_SLOTS (IO_QUEUE_ENTRIES - 1)
#define COMMAND_TIMEOUT_NS (30ull * 1000 * 1000 * 1000)
#define PRP_PER_PAGE (PAGE_SIZE / 8)
/* One PRP list page describes 512 pages; with a ragged first page that still
 * covers 2 MiB. Larger requests are split by lba_io. */
#define MAX_TRANSFER_BYTES (2u << 20)
#define BOUNCE_PAGES 16

struct nvme_cmd {
    uint32_t cdw0; /* opcode 7:0, command id 31:16; PSDT 0 = PRPs */
    uint32_t nsid;
    uint32_t cdw2, cdw3;
    uint64_t mptr;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_cmd) == 64, "submission entry");

struct nvme_cqe {
    uint32_t result;
    uint32_t reserved;
    uint16_t sq_head, sq_id;
    uint16_t cid;
    uint16_t status; /* bit 0 phase, 15:1 status field */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "completion entry");

/* What the driver hands the engine for one command: the entry itself
 * (command id and PRPs filled in by submit) and, for reads and writes, the
 * buffer whose PRPs submit builds. */
struct nvme_request {
    struct nvme_cmd cmd;
    char *buf;
    uint32_t bytes;
};

/* A submission/completion queue pair and the engine that owns its command
 * ids: a command's id is its engine tag. */
struct nvme_qpair {
    struct nvme *n;
    uint16_t qid;
    uint16_t entries;
    struct nvme_cmd *sq;
    volatile struct nvme_cqe *cq;
    uint64_t sq_phys, cq_phys;
    uint16_t sq_tail, cq_head;
    uint8_t cq_phase;
    volatile uint32_t *sq_doorbell, *cq_doorbell;
    uint16_t nslots;
    uint16_t status[IO_SLOTS];        /* per tag, from its completion entry */
    uint64_t prp_list_phys[IO_SLOTS]; /* per tag, one page for transfers over two pages */
    struct blk_engine engine;
    char engine_name[40];
};

struct nvme {
    struct blockdev bd; /* first: the blockdev callbacks get this pointer */
    struct heap *heap;
    struct pci_device pci;
    volatile uint8_t *regs;
    uint32_t doorbell_stride;
    uint64_t ready_timeout_ns;
    struct nvme_qpair admin, io;
    struct msix msix;   /* entry 1: the I/O completion queue; the admin queue is polled */
    struct lba_io lio;
    uint64_t bounce_phys;
    bool volatile_cache;
};

static struct nvme *to_nvme(struct blockdev *bd) { return container_of(bd, struct nvme, bd); }

static uint32_t reg_read32(struct nvme *n, uint32_t off) { return mmio_read32(n->regs + off); }
static void reg_write32(struct nvme *n, uint32_t off, uint32_t v) { mmio_write32(n->regs + off, v); }
static uint64_t reg_read64(struct nvme *n, uint32_t off)
{
    /* Two 32-bit reads: not every controller accepts a 64-bit access. */
    return reg_read32(n, off) | ((uint64_t)reg_read32(n, off + 4) << 32);
}
static void reg_write64(struct nvme *n, uint32_t off, uint64_t v)
{
    reg_write32(n, off, (uint32_t)v);
    reg_write32(n, off + 4, (uint32_t)(v >> 32));
}

static const struct blk_engine_ops nvme_engine_ops;

static int qpair_init(struct nvme *n, struct nvme_qpair *q, uint16_t qid, uint16_t entries, uint16_t nslots)
{
    q->n = n;
    q->qid = qid;
    q->entries = entries;
    q->nslots = MIN(nslots, (uint16_t)(entries - 1));
    size_t sq_pages = ALIGN_UP(entries * sizeof(struct nvme_cmd), PAGE_SIZE) / PAGE_SIZE;
    size_t cq_pages = ALIGN_UP(entries * sizeof(struct nvme_cqe), PAGE_SIZE) / PAGE_SIZE;
    q->sq_phys = pages_alloc_contig(sq_pages);
    q->cq_phys = pages_alloc_contig(cq_pages);
    if (!q->sq_phys || !q->cq_phys) return -ENOMEM;
    q->sq = phys_to_virt(q->sq_phys);
    q->cq = phys_to_virt(q->cq_phys);
    q->cq_phase = 1; /* the zeroed queue holds phase 0: nothing posted yet */
    q->sq_doorbell = (volatile uint32_t *)(n->regs + REG_DOORBELLS + (2u * qid) * n->doorbell_stride);
    q->cq_doorbell = (volatile uint32_t *)(n->regs + REG_DOORBELLS + (2u * qid + 1) * n->doorbell_stride);
    format_sn(q->engine_name, sizeof q->engine_name, "nvme %02x:%02x.%x %s queue", n->pci.bus, n->pci.dev,
              n->pci.fn, qid ? "I/O" : "admin");
    blk_engine_init(&q->engine, &nvme_engine_ops, q->engine_name, q->nslots);
    for (int i = 0; i < q->nslots; i++) {
        q->prp_list_phys[i] = page_alloc();
        if (!q->prp_list_phys[i]) return -ENOMEM;
    }
    return 0;
}

static void qpair_free(struct nvme_qpair *q)
{
    if (q->sq_phys) pages_free(q->sq_phys, ALIGN_UP(q->entries * sizeof(struct nvme_cmd), PAGE_SIZE) / PAGE_SIZE);
    if (q->cq_phys) pages_free(q->cq_phys, ALIGN_UP(q->entries * sizeof(struct nvme_cqe), PAGE_SIZE) / PAGE_SIZE);
    for (int i = 0; i < q->nslots; i++)
        if (q->prp_list_phys[i]) page_free(q->prp_list_phys[i]);
}

static struct nvme_qpair *engine_qpair(struct blk_engine *e) { return container_of(e, struct nvme_qpair, engine); }

/* Consume every posted completion and tell the engine. */
static void qpair_drain(struct blk_engine *e)
{
    struct nvme_qpair *q = engine_qpair(e);
    bool moved = false;
    for (;;) {
        volatile struct nvme_cqe *c = &q->cq[q->cq_head];
        uint16_t status = c->status;
        if ((status & 1) != q->cq_phase) break;
        barrier(); /* read the rest of the entry only after its phase */
        uint16_t cid = c->cid;
        if (cid < q->nslots) {
            q->status[cid] = status >> 1;
            blk_engine_finished(e, cid);
        }
        if (++q->cq_head == q->entries) {
            q->cq_head = 0;
            q->cq_phase ^= 1;
        }
        moved = true;
    }
    if (moved) mmio_write32(q->cq_doorbell, q->cq_head);
}

static int qpair_complete(struct blk_engine *e, unsigned tag, void *cmd)
{
    (void)cmd;
    return engine_qpair(e)->status[tag] == 0 ? 0 : -EIO;
}

static void build_prps(struct nvme_cmd *cmd, uint64_t prp_list_phys, char *buf, uint32_t bytes);

/* Write the command (its id and PRPs filled in here) into the queue and
 * ring. One tag per queue entry short of the queue's size, so there is
 * always room. */
/* For the timeout message: the command as "read lba" (cdw10/11 the LBA). */
static const char *nvme_request_what(const struct nvme_qpair *q, const struct nvme_cmd *cmd)
{
    if (q->qid == 0) return "admin command";
    switch (cmd->cdw0 & 0xff) {
    case NVM_READ: return "read lba";
    case NVM_WRITE: return "write lba";
    case NVM_FLUSH: return "flush";
    default: return "command";
    }
}

static int qpair_submit(struct blk_engine *e, unsigned tag, void *arg)
{
    struct nvme_qpair *q = engine_qpair(e);
    struct nvme_request *r = arg;
    struct nvme_cmd cmd = r->cmd;
    if (r->bytes) build_prps(&cmd, q->prp_list_phys[tag], r->buf, r->bytes);
    cmd.cdw0 = (cmd.cdw0 & 0xffff) | ((uint32_t)tag << 16);
    q->sq[q->sq_tail] = cmd;
    if (++q->sq_tail == q->entries) q->sq_tail = 0;
    /* x86 keeps stores ordered, so the entry is visible before the doorbell
     * (an uncached write); only the compiler must not reorder. */
    barrier();
    mmio_write32(q->sq_doorbell, q->sq_tail);
    uint8_t opcode = cmd.cdw0 & 0xff;
    bool has_lba = q->qid != 0 && (opcode == NVM_READ || opcode == NVM_WRITE);
    blk_engine_describe(e, tag, nvme_request_what(q, &cmd), has_lba ? ((uint64_t)cmd.cdw11 << 32) | cmd.cdw10 : BLK_WHERE_NONE,
                        r->buf, r->bytes);
    return 0;
}

static const struct blk_engine_ops nvme_engine_ops = {
    .submit = qpair_submit,
    .drain = qpair_drain,
    .complete = qpair_complete,
};

static int admin_command(struct nvme *n, struct nvme_cmd *cmd)
{
    struct nvme_request r = {.cmd = *cmd};
    return blk_engine_run(&n->admin.engine, &r);
}

/* Describe `bytes` at `buf` (linear, 4-byte aligned) with PRP1/PRP2, using
 * the tag's list page when more than two pages are touched. */
static void build_prps(struct nvme_cmd *cmd, uint64_t prp_list_phys, char *buf, uint32_t bytes)
{
    uint64_t first = virt_to_phys(buf);
    uint32_t first_len = PAGE_SIZE - (first & (PAGE_SIZE - 1));
    cmd->prp1 = first;
    cmd->prp2 = 0;
    if (bytes <= first_len) return;
    char *next = buf + first_len;
    uint32_t rest = bytes - first_len;
    if (rest <= PAGE_SIZE) {
        cmd->prp2 = virt_to_phys(next);
        return;
    }
    /* Each page of a virtually contiguous buffer may live anywhere. */
    uint64_t *list = phys_to_virt(prp_list_phys);
    uint32_t i = 0;
    for (uint32_t off = 0; off < rest; off += PAGE_SIZE) list[i++] = virt_to_phys(next + off);
    cmd->prp2 = prp_list_phys;
}

static void rw_request(struct nvme_request *r, uint64_t lba, uint32_t nlba, uint32_t lba_size, char *buf, bool write)
{
    *r = (struct nvme_request){.buf = buf, .bytes = nlba * lba_size};
    r->cmd.cdw0 = write ? NVM_WRITE : NVM_READ;
    r->cmd.nsid = NSID;
    r->cmd.cdw10 = (uint32_t)lba;
    r->cmd.cdw11 = (uint32_t)(lba >> 32);
    r->cmd.cdw12 = nlba - 1; /* 0-based count */
}

static int nvme_raw(struct lba_io *io, uint64_t lba, uint32_t nlba, char *buf, bool write)
{
    struct nvme *n = container_of(io, struct nvme, lio);
    struct nvme_request r;
    rw_request(&r, lba, nlba, io->lba_size, buf, write);
    return blk_engine_run(&n->io.engine, &r);
}

/* A request the controller can take as one command (whole blocks, a
 * linear dword-aligned buffer, within the transfer limit) goes into the
 * queue and returns at once; anything else goes through lba_io
 * synchronously here. Either way its callback runs from poll. */
static int nvme_submit(struct blockdev *bd, struct bio *b)
{
    struct nvme *n = to_nvme(bd);
    struct lba_io *io = &n->lio;
    uint32_t per_lba = io->lba_size / SECTOR_SIZE;
    uint64_t bytes = (uint64_t)b->count * SECTOR_SIZE;
    if (b->count && b->sector < bd->sectors && b->count <= bd->sectors - b->sector &&
        b->sector % per_lba == 0 && b->count % per_lba == 0 && bytes <= io->max_bytes &&
        ((uint64_t)b->buf & (io->align - 1)) == 0 && dma_linear(b->buf, bytes)) {
        struct nvme_request r;
        rw_request(&r, b->sector / per_lba, b->count / per_lba, io->lba_size, b->buf, b->write);
        int rc = blk_engine_submit(&n->io.engine, b, &r);
        if (rc == 0 || rc == -EAGAIN) return rc;
    }
    blk_engine_finish_bio(&n->io.engine, b, lba_io_transfer(io, b->sector, b->buf, b->count, b->write));
    return 0;
}

static int nvme_poll(struct blockdev *bd) { return blk_engine_poll(&to_nvme(bd)->io.engine); }

static int nvme_read(struct blockdev *bd, uint64_t sector, void *buf, uint32_t count)
{
    return lba_io_transfer(&to_nvme(bd)->lio, sector, buf, count, false);
}

static int nvme_write(struct blockdev *bd, uint64_t sector, const void *buf, uint32_t count)
{
    return lba_io_transfer(&to_nvme(bd)->lio, sector, (char *)buf, count, true);
}

int nvme_flush(struct blockdev *bd)
{
    struct nvme *n = to_nvme(bd);
    if (!n->volatile_cache) return 0;
    struct nvme_request r = {.cmd = {.cdw0 = NVM_FLUSH, .nsid = NSID}};
    return blk_engine_run(&n->io.engine, &r);
}

/* Wait until CSTS.RDY equals `ready`; false on timeout or a fatal status. */
static bool wait_ready(struct nvme *n, bool ready)
{
    uint64_t start = clock_monotonic_ns();
    for (;;) {
        uint32_t csts = reg_read32(n, REG_CSTS);
        if (csts == 0xffffffff) return false; /* the device has gone */
        if (ready && (csts & CSTS_CFS)) return false;
        if (((csts & CSTS_RDY) != 0) == ready) return true;
        if (clock_monotonic_ns() - start > n->ready_timeout_ns) return false;
        clock_delay_ns(100000);
    }
}

/* Disable (the firmware's driver may have left the controller running with
 * its own queues), install the admin queue, enable. */
static const char *controller_enable(struct nvme *n)
{
    uint64_t cap = reg_read64(n, REG_CAP);
    if (!CAP_CSS_NVM(cap)) return "no NVM command set";
    if (CAP_MPSMIN(cap) != 0) return "4 KiB pages not supported";
    n->doorbell_stride = 4u << CAP_DSTRD(cap);
    /* CAP.TO is the worst case for RDY to follow EN, in 500 ms units. */
    uint32_t to = CAP_TO_500MS(cap) ? CAP_TO_500MS(cap) : 1;
    n->ready_timeout_ns = MIN((uint64_t)to * 500000000ull, COMMAND_TIMEOUT_NS);

    if (reg_read32(n, REG_CC) & CC_EN) {
        reg_write32(n, REG_CC, reg_read32(n, REG_CC) & ~CC_EN);
    }
    if (!wait_ready(n, false)) return "reset timed out";

    uint16_t admin_entries = MIN((uint32_t)ADMIN_QUEUE_ENTRIES, CAP_MQES(cap) + 1);
    uint16_t io_entries = MIN((uint32_t)IO_QUEUE_ENTRIES, CAP_MQES(cap) + 1);
    if (qpair_init(n, &n->admin, 0, admin_entries, ADMIN_SLOTS) || qpair_init(n, &n->io, 1, io_entries, IO_SLOTS))
        return "out of memory";

    /* Polling only: mask pin interrupts (MSI-X, when added, ignores this). */
    reg_write32(n, REG_INTMS, 0xffffffff);
    reg_write32(n, REG_AQA, ((uint32_t)(admin_entries - 1) << 16) | (admin_entries - 1));
    reg_write64(n, REG_ASQ, n->admin.sq_phys);
    reg_write64(n, REG_ACQ, n->admin.cq_phys);
    /* NVM command set, 4 KiB pages (MPS 0), round-robin arbitration. */
    reg_write32(n, REG_CC, CC_IOSQES_64 | CC_IOCQES_16);
    reg_write32(n, REG_CC, CC_IOSQES_64 | CC_IOCQES_16 | CC_EN);
    if (!wait_ready(n, true)) return "enable timed out or controller fatal status";
    return NULL;
}

static const char *identify(struct nvme *n, uint8_t *page, uint64_t page_phys)
{
    struct nvme_cmd cmd = {.cdw0 = ADMIN_IDENTIFY, .prp1 = page_phys, .cdw10 = IDENTIFY_CONTROLLER};
    if (admin_command(n, &cmd)) return "Identify Controller failed";
    uint32_t nn;
    memcpy(&nn, page + IDC_NN, 4);
    if (nn < NSID) return "no namespaces";
    n->volatile_cache = page[IDC_VWC] & 1;
    uint32_t max_bytes = MAX_TRANSFER_BYTES;
    uint8_t mdts = page[IDC_MDTS];
    /* MDTS is a power of two in units of the minimum page size (4 KiB). */
    if (mdts != 0 && mdts < 10 && (PAGE_SIZE << mdts) < max_bytes) max_bytes = PAGE_SIZE << mdts;

    memset(page, 0, PAGE_SIZE);
    cmd = (struct nvme_cmd){.cdw0 = ADMIN_IDENTIFY, .nsid = NSID, .prp1 = page_phys, .cdw10 = IDENTIFY_NAMESPACE};
    if (admin_command(n, &cmd)) return "Identify Namespace 1 failed";
    uint64_t nsze;
    memcpy(&nsze, page + IDN_NSZE, 8);
    if (nsze == 0) return "namespace 1 is not active";
    uint8_t format = page[IDN_FLBAS] & 0xf;
    if (format > page[IDN_NLBAF]) return "namespace 1 has an invalid LBA format";
    uint32_t lbaf;
    memcpy(&lbaf, page + IDN_LBAF0 + 4 * format, 4);
    uint32_t metadata = lbaf & 0xffff, shift = (lbaf >> 16) & 0xff;
    if (metadata != 0) return "namespace 1 uses per-block metadata (unsupported)";
    if (shift < 9 || shift > 12) return "namespace 1 block size is not 512..4096 bytes";

    n->lio.lba_size = 1u << shift;
    uint64_t per_lba = n->lio.lba_size / SECTOR_SIZE;
    if (nsze > UINT64_MAX / per_lba) return "namespace 1 is too large";
    n->lio.sectors = nsze * per_lba;
    /* NLB is 16 bits; with 512-byte blocks that caps a command at 32 MiB,
     * above our limit, so only MDTS and the PRP list matter. */
    n->lio.max_bytes = max_bytes;
    return NULL;
}

/* MSI-X is edge-triggered: each batch of completions the controller posts
 * sends a message, and the drain moves the CQ head doorbell. */
static void nvme_interrupt(void *arg) { blk_engine_interrupt(&((struct nvme *)arg)->io.engine); }

static const char *create_io_queues(struct nvme *n)
{
    struct nvme_qpair *q = &n->io;
    /* Ask for one queue of each kind (both counts 0-based). */
    struct nvme_cmd cmd = {.cdw0 = ADMIN_SET_FEATURES, .cdw10 = FEATURE_NUM_QUEUES, .cdw11 = 0};
    if (admin_command(n, &cmd)) return "Set Features (number of queues) failed";
    /* Physically contiguous (PC); with interrupts (IEN) on MSI-X entry
     * IO_CQ_MSIX_ENTRY when the controller has MSI-X, else polled. Entry 0
     * (the admin queue's) stays masked: admin commands are boot-time only. */
    uint32_t irq_bits = 0;
    if (msix_enable(&n->msix, &n->pci) == 0) {
        /* Numbered in probe order, as Linux names its controllers. */
        static unsigned controllers;
        char name[24];
        format_sn(name, sizeof name, "nvme%uq%u", controllers++, (unsigned)q->qid);
        if (msix_route(&n->msix, IO_CQ_MSIX_ENTRY, nvme_interrupt, n, name) >= 0)
            irq_bits = CQ_IEN | ((uint32_t)IO_CQ_MSIX_ENTRY << 16);
    }
    cmd = (struct nvme_cmd){.cdw0 = ADMIN_CREATE_CQ, .prp1 = q->cq_phys,
                            .cdw10 = ((uint32_t)(q->entries - 1) << 16) | q->qid, .cdw11 = CQ_PC | irq_bits};
    if (admin_command(n, &cmd)) return "Create I/O Completion Queue failed";
    if (irq_bits) blk_engine_use_interrupts(&q->engine);
    cmd = (struct nvme_cmd){.cdw0 = ADMIN_CREATE_SQ, .prp1 = q->sq_phys,
                            .cdw10 = ((uint32_t)(q->entries - 1) << 16) | q->qid,
                            .cdw11 = ((uint32_t)q->qid << 16) | 1};
    if (admin_command(n, &cmd)) return "Create I/O Submission Queue failed";
    return NULL;
}

static void nvme_free(struct nvme *n)
{
    msix_disable(&n->msix);
    qpair_free(&n->admin);
    qpair_free(&n->io);
    if (n->bounce_phys) pages_free(n->bounce_phys, BOUNCE_PAGES);
    deallocate(n->heap, n, sizeof *n);
}

struct blockdev *nvme_probe(struct heap *h, struct pci_device *dev)
{
    if (dev->class_code != PCI_CLASS_STORAGE || dev->subclass != PCI_SUBCLASS_NVM || dev->prog_if != PCI_PROG_IF_NVME)
        return NULL;
    struct nvme *n = allocate_zero(h, sizeof *n);
    if (!n) return NULL;
    n->heap = h;
    n->pci = *dev;
    const char *why = NULL;
    uint64_t id_phys = 0;

    struct pci_bar bar;
    if (pci_bar_decode(dev, 0, &bar) != 0 || bar.is_io || bar.addr == 0 || bar.size < 0x2000) {
        why = "BAR 0 is not a usable memory BAR";
        goto fail;
    }
    pci_enable(dev);
    n->regs = mmio_map(bar.addr, bar.size);
    if (!n->regs) {
        why = "cannot map BAR 0";
        goto fail;
    }
    why = controller_enable(n);
    if (why) goto fail_disable;

    id_phys = page_alloc();
    n->bounce_phys = pages_alloc_contig(BOUNCE_PAGES);
    if (!id_phys || !n->bounce_phys) {
        why = "out of memory";
        goto fail_disable;
    }
    why = identify(n, phys_to_virt(id_phys), id_phys);
    if (!why) why = create_io_queues(n);
    if (why) goto fail_disable;
    page_free(id_phys);

    n->lio.align = 4; /* PRP entries must be dword aligned */
    n->lio.bounce = phys_to_virt(n->bounce_phys);
    n->lio.bounce_bytes = MIN((uint32_t)(BOUNCE_PAGES * PAGE_SIZE), n->lio.max_bytes);
    n->lio.raw = nvme_raw;
    n->bd.sectors = n->lio.sectors;
    n->bd.read = nvme_read;
    n->bd.write = nvme_write;
    n->bd.flush = n->volatile_cache ? nvme_flush : NULL; /* no cache: writes are durable */
    n->bd.submit = nvme_submit;
    n->bd.poll = nvme_poll;
    n->bd.name = "nvme";
    dev_info("nvme %02x:%02x.%x: namespace 1: %llu sectors (%llu MiB), %u-byte blocks, max transfer %u KiB%s\n",
             dev->bus, dev->dev, dev->fn, (unsigned long long)n->bd.sectors,
             (unsigned long long)(n->bd.sectors >> 11), n->lio.lba_size, n->lio.max_bytes >> 10,
             n->volatile_cache ? ", write cache" : "");
    return &n->bd;

fail_disable:
    /* Stop the controller so it cannot touch the memory we free; one that
     * will not stop may still own it, so leak rather than free then. */
    if (!n->ready_timeout_ns) n->ready_timeout_ns = 1000000000ull;
    reg_write32(n, REG_CC, reg_read32(n, REG_CC) & ~CC_EN);
    if (!wait_ready(n, false) || n->admin.engine.broken) {
        kprintf("nvme %02x:%02x.%x: %s\n", dev->bus, dev->dev, dev->fn, why);
        return NULL;
    }
    if (id_phys) page_free(id_phys);
fail:
    kprintf("nvme %02x:%02x.%x: %s\n", dev->bus, dev->dev, dev->fn, why);
    nvme_free(n);
    return NULL;
}
