/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_runtime.c: placeholder (being written). */
#include "backend_i.h"
