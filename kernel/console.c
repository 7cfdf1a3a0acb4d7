/* COM1 carries the program's output and kernel messages; COM2 carries
 * machine-readable lines for the host tool (see docs/boot.md). */
#include "console.h"
#include "io.h"
#include "spinlock.h"
#include "../klib/format.h"

#define COM1 0x3f8
#define COM2 0x2f8

static struct spinlock console_lock;

static void uart_init(uint16_t base)
{
    outb(base + 1, 0x00);   /* no interrupts */
    outb(base + 3, 0x80);   /* divisor latch */
    outb(base + 0, 0x01);   /* 115200 baud */
    outb(base + 1, 0x00);
    outb(base + 3, 0x03);   /* 8N1 */
    outb(base + 2, 0x07);   /* FIFO on, cleared */
}

static void uart_put(uint16_t base, char c)
{
    /* QEMU's UART is always ready; real hardware needs the wait. */
    for (int spins = 0; !(inb(base + 5) & 0x20) && spins < 100000; spins++)
        cpu_relax();
    outb(base, (uint8_t)c);
}

static void uart_write(uint16_t base, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') uart_put(base, '\r');
        uart_put(base, s[i]);
    }
}

void console_init(void)
{
    uart_init(COM1);
    uart_init(COM2);
}

void console_write(const char *s, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    uart_write(COM1, s, n);
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
