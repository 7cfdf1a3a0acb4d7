#pragma once
/* Turn the A20 gate on or stop with an error. */
void a20_enable(void);
