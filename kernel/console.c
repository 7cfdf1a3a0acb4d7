/* COM1 carries the program's output and kernel messages; COM2 carries
 * machine-readable lines for the host tool (see docs/boot.md). */
#include "console.h"
#include "io.h"
#include "spinlock.h"
#include "../klib/format.h"
#include "interrupt.h"
#include "wait.h"
#include "poll.h"

#define COM1 0x3f8
#define COM2 0x2f8

static struct spinlock console_lock;
static bool control_present;    /* COM2 exists (pith adds it; clouds have none) */
static char console_last = '\n';   /* last byte written to COM1 */

static void uart_init(uint16_t base)
{
    outb(base + 1, 0x00);   /* no interrupts */
    outb(base + 3, 0x80);   /* divisor latch */
    outb(base + 0, 0x01);   /* 115200 baud */
    outb(base + 1, 0x00);
    outb(base + 3, 0x03);   /* 8N1 */
    /* The receive FIFO stays off: switching it on empties it, and pith's
     * input may arrive at any instant, also between a drain and that switch
     * (QEMU delivers bytes from another thread): a byte was lost that way.
     * Without the FIFO, QEMU hands over one byte at a time and waits until
     * it is read, so nothing can be dropped. */
    if (base != COM1) outb(base + 2, 0x07);
}

/* THRE says the last byte written was taken. QEMU takes it only when the
 * host side (pith's relay) reads, which on a loaded host can take far
 * longer than a spin count guesses; writing anyway overwrites that byte
 * (output lost under load). Bounded in time, not spins, so a host that
 * never reads cannot stop the kernel: 2^33 TSC ticks, seconds. */
static void uart_wait_taken(uint16_t base)
{
    uint64_t start = rdtsc();
    while (!(inb(base + 5) & 0x20) && rdtsc() - start < (1ull << 33))
        cpu_relax();
}

static void uart_put(uint16_t base, char c)
{
    uart_wait_taken(base);
    outb(base, (uint8_t)c);
}

/* Bytes go out as they are: the host side (pith, or a terminal program on
 * a cloud's serial console) decides about line endings. */
static void uart_write(uint16_t base, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) uart_put(base, s[i]);
}

/* An absent port reads 0xff; a 16550 keeps what is written to its scratch register. */
static bool uart_present(uint16_t base)
{
    outb(base + 7, 0x5a);
    return inb(base + 7) == 0x5a;
}

void console_init(void)
{
    uart_init(COM1);
    control_present = uart_present(COM2);
    if (control_present) uart_init(COM2);
}

void console_write(const char *s, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    uart_write(COM1, s, n);
    if (n) console_last = s[n - 1];
    spin_unlock_irqrestore(&console_lock, flags);
}

void kprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = format_vsn(buf, sizeof buf, fmt, ap);
    va_end(ap);
    console_write(buf, MIN((size_t)n, sizeof buf - 1));
}

void control_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = format_vsn(buf, sizeof buf, fmt, ap);
    va_end(ap);
    uint64_t flags = spin_lock_irqsave(&console_lock);
    for (int i = 0; i < n && i < (int)sizeof buf - 1; i++) uart_put(COM2, buf[i]);
    spin_unlock_irqrestore(&console_lock, flags);
}

void console_report_exit(int code)
{
    if (control_present) {
        control_printf("exit %d\n", code);
    } else {
        char line[16];
        int n = format_sn(line, sizeof line, "%sexit %d\n", console_last == '\n' ? "" : "\n", code);
        console_write(line, (size_t)n);
    }
    /* The machine is about to go: the last byte of each port must have
     * been taken first, or QEMU ends with it still in the UART (a program's
     * last newline was lost so on a loaded host). */
    uart_wait_taken(COM1);
    if (control_present) uart_wait_taken(COM2);
}

/* Input. pith relays its stdin to COM1 with one escape so that the end of
 * its input can travel in the same ordered byte stream: 0xFF 0xFF is a
 * literal 0xFF, 0xFF 0x04 means end of file. Without pith (a bare serial
 * console) the escapes simply never occur. */
#define INPUT_ESCAPE 0xff
#define INPUT_EOF 0x04
#define INPUT_RING 4096
#define COM1_GSI 4

static struct {
    struct spinlock lock;
    uint8_t ring[INPUT_RING];
    uint32_t head, len;
    bool escape_pending, eof;
    struct wait_queue readers;      /* console_read waiting for a byte or EOF */
} input;

/* Move what the UART holds into the ring while there is room; called with
 * input.lock held. A full ring leaves the byte in the UART, which holds
 * QEMU's next one back: input waits for the program, never gets dropped. */
static void drain_uart(void)
{
    while (input.len < INPUT_RING && (inb(COM1 + 5) & 1)) {
        uint8_t c = inb(COM1);
        if (input.escape_pending) {
            input.escape_pending = false;
            if (c == INPUT_EOF) {
                input.eof = true;
                continue;
            }
        } else if (c == INPUT_ESCAPE) {
            input.escape_pending = true;
            continue;
        }
        input.ring[(input.head + input.len++) % INPUT_RING] = c;
    }
}

static void com1_interrupt(void *arg)
{
    spin_lock(&input.lock);
    drain_uart();
    bool ready = input.len || input.eof;
    spin_unlock(&input.lock);
    if (ready) wake_all(&input.readers);
}

/* Also drains: a byte that came before console_input_init routed the
 * interrupt raised none, and must not wait for a second one. */
static bool input_ready(void *unused)
{
    (void)unused;
    uint64_t irq = spin_lock_irqsave(&input.lock);
    drain_uart();
    bool ready = input.len || input.eof;
    spin_unlock_irqrestore(&input.lock, irq);
    return ready;
}

bool console_input_poll(struct poll_table *pt)
{
    poll_wait(pt, &input.readers);
    return input_ready(NULL);
}

void console_input_init(void)
{
    int vector = irq_alloc_vector(com1_interrupt, NULL);
    if (vector < 0) return;
    irq_set_name(vector, "IO-APIC 4-edge ttyS0");
    ioapic_route(COM1_GSI, vector, false, false);
    outb(COM1 + 4, 0x0b);   /* DTR, RTS, OUT2: OUT2 gates the UART's interrupt line */
    outb(COM1 + 1, 0x01);   /* interrupt when data arrives */
}

size_t console_read(char *buf, size_t n)
{
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&input.lock);
        drain_uart();
        size_t got = 0;
        while (got < n && input.len) {
            buf[got++] = (char)input.ring[input.head];
            input.head = (input.head + 1) % INPUT_RING;
            input.len--;
        }
        bool eof = input.eof;
        if (got || eof) {
            /* pith stops reading its stdin at its end (cli/console.c), so
             * end of file stays, as a pipe's does: a program that reads on
             * after it (busybox cat's second sendfile) must not block. */
            spin_unlock_irqrestore(&input.lock, irq);
            return got;
        }
        spin_unlock_irqrestore(&input.lock, irq);
        /* Nothing yet: COM1's interrupt wakes us when a byte (or EOF) comes. */
        int r = wait_until(&input.readers, input_ready, NULL, WAIT_FOREVER);
        if (r) return r;    /* a signal: EINTR or a restart (kernel/signal.c) */
    }
}
