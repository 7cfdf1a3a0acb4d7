/* cli/console.c: the escape pith puts on the guest's stdin, the relay
 * between a socket and a pair of pipes (input, end of input, output). */
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/console.h"

#include "check.h"

/* One poll round of the relay, as qemu_run does it. */
static void step(struct console_relay *r)
{
    struct pollfd p[2] = { { r->sock, 0, 0 }, { -1, POLLIN, 0 } };
    console_relay_poll_setup(r, &p[0].events, &p[1].fd);
    if (!p[0].events) p[0].fd = -1;
    if (poll(p, 2, 100) <= 0) return;
    if (p[0].revents) console_relay_on_sock(r, p[0].revents);
    if (p[1].revents) console_relay_on_input(r, p[1].revents);
}

/* UEFI boots (cli/console.h skip_until): the guest writes text in chunks of
 * `chunk` bytes; what reaches stdout and the copy must be `want`. */
static bool skip_case(const char *text, size_t chunk, const char *want)
{
    int sv[2], outp[2], copyp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(outp) != 0 || pipe(copyp) != 0) return false;
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    static struct console_relay r;
    console_relay_init(&r, sv[0], -1, outp[1]);
    r.copy_fd = copyp[1];
    r.skip_until = "MARK\n";
    for (size_t off = 0, len = strlen(text); off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        if (write(sv[1], text + off, n) != (ssize_t)n) return false;
        for (int i = 0; i < 5; i++) step(&r);
    }
    close(sv[1]);
    console_relay_drain(&r);
    close(outp[1]);
    close(copyp[1]);
    char got[256] = "", copy[256] = "";
    ssize_t k = read(outp[0], got, sizeof got - 1), c = read(copyp[0], copy, sizeof copy - 1);
    got[k > 0 ? k : 0] = 0;
    copy[c > 0 ? c : 0] = 0;
    close(outp[0]);
    close(copyp[0]);
    close(sv[0]);
    if (strcmp(got, want) != 0 || strcmp(copy, want) != 0) {
        printf("skip_case: shown '%s', copied '%s', wanted '%s'\n", got, copy, want);
        return false;
    }
    return true;
}

int main(void)
{
    uint8_t out[16];
    const uint8_t in[] = { 'a', 0xff, 0, 0xff };
    size_t n = console_escape(in, sizeof in, out);
    CHECK_THAT(n == 6 && memcmp(out, "a\xff\xff\0\xff\xff", 6) == 0);
    CHECK_THAT(console_escape(in, 0, out) == 0);

    int sv[2], inp[2], outp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(inp) != 0 || pipe(outp) != 0) {
        printf("FAIL: cannot make sockets or pipes\n");
        return 1;
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    struct console_relay r;
    console_relay_init(&r, sv[0], inp[0], outp[1]);

    /* stdin -> socket, escaped; then end of input -> 0xFF 0x04. */
    CHECK_THAT(write(inp[1], "x\xffy", 3) == 3);
    close(inp[1]);
    uint8_t got[64];
    size_t have = 0;
    for (int i = 0; i < 20 && have < 6; i++) {
        step(&r);
        struct pollfd p = { sv[1], POLLIN, 0 };
        if (poll(&p, 1, 0) > 0) {
            ssize_t k = read(sv[1], got + have, sizeof got - have);
            if (k > 0) have += (size_t)k;
        }
    }
    CHECK_THAT(have == 6 && memcmp(got, "x\xff\xffy\xff\x04", 6) == 0);
    CHECK_THAT(!r.in_open);

    /* socket -> stdout unchanged, drained after the other end closes. */
    CHECK_THAT(write(sv[1], "out\r\n\xff", 6) == 6);
    close(sv[1]);
    console_relay_drain(&r);
    close(outp[1]);
    ssize_t k = read(outp[0], got, sizeof got);
    CHECK_THAT(k == 6 && memcmp(got, "out\r\n\xff", 6) == 0);
    CHECK_THAT(!r.sock_open);

    /* No stdin at all: the guest is told end of file at once. */
    console_relay_init(&r, sv[0], -1, outp[1]);
    CHECK_THAT(r.plen == 2 && r.pending[0] == 0xff && r.pending[1] == 0x04);

    CHECK_THAT(skip_case("firmware\r\nMARK\nprogram\n", 5, "program\n"));   /* the line split across reads */
    CHECK_THAT(skip_case("MARK\n", 2, ""));                                    /* nothing after it */
    CHECK_THAT(skip_case("pith efi: no disk\n", 4, "pith efi: no disk\n"));    /* never comes: all shown at the end */
    CHECK_THAT(skip_case("MAR", 1, "MAR"));                                     /* half of it, then the end */
    return failures ? 1 : 0;
}
