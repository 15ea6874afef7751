/* cfgread.h -- small checks shared by every reader of libconfig files
 * (ruleset loader, ruleset test runner): the one place that knows how
 * to report a setting the reader does not know. */
#ifndef VET_CFGREAD_H
#define VET_CFGREAD_H

#include <libconfig.h>
#include <stdbool.h>

#include "diag.h"

/* Line of a setting in its file (0 for NULL). */
int cfgread_line(const config_setting_t *s);

/* Reports into d every member of grp whose name is not in allowed (NULL
 * terminated) as "file:line: PREFIXunknown setting \"x\" in WHAT (did
 * you mean \"y\"?)"; prefix may be "" (e.g. "case \"n\": "). Returns
 * true if every member is known. */
bool cfgread_check_members(diag_t *d, const char *file, const config_setting_t *grp,
                           const char *const *allowed, const char *prefix,
                           const char *what);

/* True if libconfig kept every name and every string value of the tree
 * under s: no member of a group has a NULL name and no string setting a
 * NULL value. libconfig 1.5 drops those silently when its strdup fails
 * and still reports success (see cfgread.c); a reader that finds false
 * must treat the file as not read (out of memory). */
bool cfgread_complete(const config_setting_t *s);

#endif
