/* KASLR after boot: the slide itself is kaslr_slide (kernel/mm.h), chosen
 * and applied by boot/kaslr/kaslr_boot.c before the kernel first runs. */
#pragma once

/* If boot/kaslr/ refused the host's setting (fw_cfg opt/pith/kaslr, e.g. an
 * unaligned slide=), one console line naming it. When the host asked for it
 * ("report"; only the tests do), print where the kernel runs and a
 * backtrace of this call on the console. Never otherwise: the address is a
 * secret from the program. */
void kaslr_report_if_asked(void);
