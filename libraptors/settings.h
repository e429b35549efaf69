/* Internal: the RAPTORS_* environment variables, read strictly. A value that is
 * not what the variable takes is refused -- the default applies -- and
 * remembered, so that the Python layer can say so (raptors_refused_settings). */
#ifndef RAPTORS_SETTINGS_H
#define RAPTORS_SETTINGS_H

#include <stddef.h>

/* 1 and *v when `name` is set to a whole number (decimal digits only); 0 when
 * unset or empty; a refused value returns 0 and is remembered with what the
 * variable takes and what is used in its place. */
int rp_env_size(const char *name, size_t *v, const char *takes, const char *instead);

/* Remember that `name`'s value was refused, what it takes and what is used instead. */
void rp_env_refuse(const char *name, const char *value, const char *takes, const char *instead);

#endif
