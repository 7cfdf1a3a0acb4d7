/* The program's FPU/SSE/AVX registers (kernel/fpu.c, kernel/fpu_sigframe.c).
 * Where the CPU has XSAVE, the kernel sets CR4.OSXSAVE and XCR0 to the user
 * components Linux enables (x87, SSE, AVX, AVX-512's three) and each thread
 * owns an XSAVE area (standard form, 64-byte aligned); elsewhere FXSAVE's
 * 512 bytes. The kernel itself is built without SSE, so between a thread's
 * switch in and out the registers hold that thread's state alone. */
#pragma once
#include "../klib/types.h"

struct heap;

/* The largest area this kernel ever enables: x87 through Hi16_ZMM in the
 * standard form (their offsets are architectural). */
#define FPU_AREA_MAX 2688

/* XCR0 / XSTATE_BV bits. */
#define XFEATURE_X87 0x1ull
#define XFEATURE_SSE 0x2ull
#define XFEATURE_AVX 0x4ull
#define XFEATURE_AVX512 0xe0ull     /* opmask, ZMM_Hi256, Hi16_ZMM: all or none */

void fpu_detect(void);          /* boot CPU, once, before fpu_enable_this_cpu */
void fpu_enable_this_cpu(void); /* every CPU: CR4.OSXSAVE and XCR0 as fpu_detect chose */
bool fpu_uses_xsave(void);
uint64_t fpu_xfeatures(void);   /* XCR0; x87|SSE where there is no XSAVE */
uint32_t fpu_area_size(void);   /* bytes of one thread's area */
uint32_t fpu_extent(uint64_t mask); /* bytes of an area up to the end of mask's components */
uint32_t fpu_mxcsr_mask(void);  /* MXCSR bits the CPU accepts */

uint8_t *fpu_area_alloc(struct heap *h);    /* a clean state (as after execve), or NULL */
void fpu_area_free(struct heap *h, uint8_t *area);

/* The switch: save may skip what did not change since the restore from the
 * same area (XSAVEOPT), so nothing else may write an area between the two. */
void fpu_save(uint8_t *area);
void fpu_restore(const uint8_t *area);
/* A complete copy of the live registers into a fresh area (clone). */
void fpu_copy_live(uint8_t *area);
/* The live registers to the clean state (a handler's start). */
void fpu_reset(void);
/* A switched-out thread's x87/SSE state as FXSAVE's 512 bytes (core files). */
void fpu_legacy_image(const uint8_t *area, uint8_t *out);

/* Signal frames: Linux's fpstate layout (kernel/fpu_sigframe.c). */
uint32_t fpu_sigframe_size(void);           /* fpstate bytes in a frame */
int fpu_sigframe_write(uint64_t user_fp);   /* 0 or -EFAULT; user_fp 64-byte aligned */
bool fpu_sigframe_read(uint64_t user_fp);   /* restores it; false: a bad frame (SIGSEGV) */
