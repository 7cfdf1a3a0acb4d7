/* pith's side of the guest console (COM1). QEMU's serial port is one end of
 * a socket; pith copies guest output to its stdout unchanged and sends its
 * stdin to the guest with an escape so end-of-file can travel in the same
 * byte stream: 0xFF is sent as 0xFF 0xFF, end of stdin as 0xFF 0x04 (the
 * kernel decodes this in kernel/console.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE 0xFF
#define CONSOLE_EOF 0x04

/* Escape n input bytes into out (room for 2n); returns the bytes written. */
size_t console_escape(const uint8_t *in, size_t n, uint8_t *out);

struct console_relay {
    int sock;            /* pith's end of the COM1 socket (non-blocking) */
    int in_fd, out_fd;   /* normally 0 and 1 */
    int sock_open;       /* guest output may still come */
    int in_open;         /* stdin not yet at end of file */
    int out_broken;      /* stdout closed: guest output is dropped */
    uint8_t pending[8192 + 2];
    size_t plen, poff;   /* escaped input waiting for the socket */
    int copy_fd;         /* > 0: what reaches out_fd is also written here (pith reads the exit line) */
    /* Firmware's output before this line is held back, not shown (UEFI:
     * boot/uefi/marker.h); shown after all if the line never comes. */
    const char *skip_until;
    uint8_t held[16384];
    size_t nheld;
};

void console_relay_init(struct console_relay *r, int sock, int in_fd, int out_fd);
/* Fill in poll interest: entries for the socket and stdin (fd -1 when unused). */
void console_relay_poll_setup(const struct console_relay *r, short *sock_events, int *in_fd);
/* Act on poll results. */
void console_relay_on_sock(struct console_relay *r, short revents);
void console_relay_on_input(struct console_relay *r, short revents);
/* After QEMU exited: copy what is left in the socket (it reads EOF then),
 * and show held-back output if the skip_until line never came. */
void console_relay_drain(struct console_relay *r);
