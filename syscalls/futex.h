/* Futex work inside the kernel at a thread's exit: its robust list, its
 * CLEARTID word. */
#pragma once
#include "../klib/types.h"

struct vm;
struct thread;
/* Wake up to max waiters on the word at uaddr in vm; how many woke. */
long futex_wake_address(struct vm *vm, uint64_t uaddr, uint32_t max);
/* Thread t (the caller) is exiting: mark the robust futexes it still owns
 * FUTEX_OWNER_DIED and wake a waiter of each, and give the PI locks it
 * still owns to their waiters, as Linux does. */
void futex_thread_exit(struct thread *t);
