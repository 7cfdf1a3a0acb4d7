/* Error reporting. Stage 2 is silent when all goes well (boot time); on a
 * failure it prints one line on the screen (BIOS teletype) and on COM1,
 * written directly so it shows up on headless clouds' serial consoles. */
#include "bios.h"

#define COM1 0x3f8

static void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts */
    outb(COM1 + 3, 0x80);   /* divisor latch */
    outb(COM1 + 0, 0x01);   /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    outb(COM1 + 2, 0xc7);   /* FIFO on */
    outb(COM1 + 4, 0x03);   /* DTR, RTS */
}

static void serial_putc(char c)
{
    /* Bounded wait: a missing UART must not hang the error path. */
    for (uint32_t spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
        ;
    outb(COM1, (uint8_t)c);
}

static void screen_putc(char c)
{
    struct bios_regs r = { .eax = 0x0e00u | (uint8_t)c, .ebx = 0x0007 };
    bios_int(0x10, &r);
}

static void put_both(const char *s)
{
    for (; *s; s++) {
        serial_putc(*s);
        screen_putc(*s);
    }
}

static void hex32(char out[11], uint32_t v)
{
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 8; i++)
        out[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xf];
    out[10] = 0;
}

void fatal(const char *msg)
{
    serial_init();
    put_both("pith boot: ");
    put_both(msg);
    put_both("\r\n");
    halt_forever();
}

void fatal_code(const char *msg, uint32_t code)
{
    char hex[11];
    hex32(hex, code);
    serial_init();
    put_both("pith boot: ");
    put_both(msg);
    put_both(" ");
    put_both(hex);
    put_both("\r\n");
    halt_forever();
}

void debug_line(const char *msg, uint32_t value)
{
    char hex[11];
    hex32(hex, value);
    for (const char *s = "pith boot: "; *s; s++)
        serial_putc(*s);
    for (; *msg; msg++)
        serial_putc(*msg);
    serial_putc(' ');
    for (const char *s = hex; *s; s++)
        serial_putc(*s);
    serial_putc('\r');
    serial_putc('\n');
}
