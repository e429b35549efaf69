/* Internal: the tuning's state, set from Python (raptors_set_tuning_*) after
 * `python -m raptors tune` measured this machine: per call class the variant
 * to use, and per family (or for every family) the byte thresholds. plan.c
 * reads it; nothing here decides anything. */
#ifndef RAPTORS_TUNING_H
#define RAPTORS_TUNING_H

#include <stddef.h>

#include "kernels.h"
#include "plan.h"

/* The slot of the values a tuning set for every family (RAPTORS_FAMILY_ALL). */
#define RP_SLOT_ALL RP_NFAMILIES

/* The tuned variant of that call class, or NULL. */
const rp_kernel_set *rp_tuned_kernels(int family, int dtype, int store, int regime);

/* The tuned value of threshold `which` (RAPTORS_TUNE_*) for `family`
 * (RP_SLOT_ALL: calls that name none), else the one set for every family:
 * 1 and *v, or 0 when neither is set. */
int rp_tuned_bytes(int which, int family, size_t *v);

/* The slot of a public family number (RAPTORS_FAMILY_ALL: RP_SLOT_ALL), or -1. */
int rp_tuning_slot(int family);

/* Appends "family.dtype.store.regime=name,..." for every tuned variant that
 * differs from `active` (nothing while a variant is forced). */
size_t rp_tuning_json(char *dst, size_t o, size_t cap, const rp_kernel_set *active, int forced);

#endif
