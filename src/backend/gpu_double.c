/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_double.c: placeholder (being written). */
#include "backend_i.h"
