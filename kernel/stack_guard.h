#pragma once
#include "../klib/types.h"

/* A random stack protector guard for this boot: the first thing kmain does,
 * so only kmain's own frame (unprotected) predates it. */
void stack_guard_init(void);
