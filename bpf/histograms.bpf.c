// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tables of the in-kernel latency histograms (loghist.bpf.h), defined here once for every program that counts
 * into them (malloc.bpf.c). */
#define ALLOCLAT_DEFINE_HISTOGRAMS
#include "loghist.bpf.h"
