/* Futex wakes from inside the kernel (a thread's CLEARTID word at exit). */
#pragma once
#include "../klib/types.h"

struct vm;
/* Wake up to max waiters on the word at uaddr in vm; how many woke. */
long futex_wake_address(struct vm *vm, uint64_t uaddr, uint32_t max);
