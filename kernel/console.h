/* The kernel console: COM1 serial. kprintf writes kernel messages there. */
#pragma once
#include "../klib/types.h"

void console_init(void);
void console_write(const char *s, size_t n);
/* Route COM1's receive interrupt; before this, reads still work by polling. */
void console_input_init(void);
/* Block until input arrives; returns the bytes read, 0 at end of input. */
size_t console_read(char *buf, size_t n);
struct poll_table;
/* Whether console_read would return now (a byte or end of input); with pt,
 * also watch the queue the COM1 interrupt wakes. */
bool console_input_poll(struct poll_table *pt);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug/control channel to the host tool (COM2): "exit N", load addresses. */
void control_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The program's exit status for the host, the line `exit N`: on the control
 * channel (COM2) when the machine has one (pith's own runs), else on the
 * console as a line of its own, where pith --cloud-like and a cloud's
 * console log find it (docs/boot.md). */
void console_report_exit(int code);
