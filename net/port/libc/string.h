/* lwIP's <string.h>: the kernel's own memcpy, memset, strlen... */
#pragma once
#include "../../../klib/string.h"
