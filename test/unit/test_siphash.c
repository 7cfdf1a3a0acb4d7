/* SipHash-2-4 against the reference vector of its paper (key 00..0f,
 * message 00..0e) and a few properties the TCP ISN relies on. */
#include "../../klib/siphash.h"
#include "check.h"
#include <stdint.h>

int main(void)
{
    struct siphash_key key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
    uint8_t msg[64];
    for (int i = 0; i < 64; i++) msg[i] = (uint8_t)i;

    uint64_t h15 = siphash24(&key, msg, 15);
    CHECK(h15 == 0xa129ca6149be45e5ull, "15-byte vector: %016llx", (unsigned long long)h15);
    /* The empty message (the lengths-only block) and the 8-byte one (a whole
     * word then an empty tail): the paper's appendix table. */
    uint64_t h0 = siphash24(&key, msg, 0);
    CHECK(h0 == 0x726fdb47dd0e0e31ull, "empty vector: %016llx", (unsigned long long)h0);
    uint64_t h8 = siphash24(&key, msg, 8);
    CHECK(h8 == 0x93f5f5799a932462ull, "8-byte vector: %016llx", (unsigned long long)h8);

    /* Another key, the same message: unrelated output. */
    struct siphash_key other = { key.k0 ^ 1, key.k1 };
    CHECK(siphash24(&other, msg, 15) != h15, "the key changes the hash");
    /* One bit of the message changes it too. */
    msg[3] ^= 0x10;
    CHECK(siphash24(&key, msg, 15) != h15, "the message changes the hash");
    return check_report("siphash");
}
