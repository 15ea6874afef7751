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

#endif
