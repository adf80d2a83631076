/* SPDX-License-Identifier: BSD-3-Clause */
/* hshm/hshm.h: umbrella header of the C HSHM backend library. */
#ifndef HSHM_HSHM_H
#define HSHM_HSHM_H

#include "hshm/backend.h"
#include "hshm/gpu.h"

#endif /* HSHM_HSHM_H */
