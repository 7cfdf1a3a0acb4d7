/* The legacy 8259 pair. It cannot be ignored: until it is remapped, its IRQs
 * land on CPU exception vectors 8..15, and a masked PIC may still raise a
 * spurious IRQ7/IRQ15, which then arrives on 0x27/0x2f instead. */
#include "apic.h"
#include "../kernel/io.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

static void io_wait(void) { outb(0x80, 0); }

void pic_disable(void)
{
    outb(PIC1_CMD, 0x11); /* ICW1: initialise, ICW4 follows */
    io_wait();
    outb(PIC2_CMD, 0x11);
    io_wait();
    outb(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector offsets */
    io_wait();
    outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
    io_wait();
    outb(PIC1_DATA, 4); /* ICW3: slave on IRQ2 */
    io_wait();
    outb(PIC2_DATA, 2);
    io_wait();
    outb(PIC1_DATA, 1); /* ICW4: 8086 mode */
    io_wait();
    outb(PIC2_DATA, 1);
    io_wait();
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}
