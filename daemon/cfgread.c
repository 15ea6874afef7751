/* cfgread.c -- checks shared by the readers of libconfig files. */
#include "cfgread.h"

#include "vocab.h"

int
cfgread_line(const config_setting_t *s)
{
    return s != NULL ? (int)config_setting_source_line(s) : 0;
}

bool
cfgread_check_members(diag_t *d, const char *file, const config_setting_t *grp,
                      const char *const *allowed, const char *prefix, const char *what)
{
    size_t na = 0;
    while (allowed[na] != NULL)
        na++;
    vocab_t v = { (const char **)allowed, na };
    bool ok = true;
    int n = config_setting_length(grp);
    for (int i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(grp, (unsigned)i);
        const char *name = config_setting_name(m);
        if (name == NULL || vocab_find(&v, name) >= 0)
            continue;
        const char *sug = vocab_suggest(&v, name);
        if (sug != NULL)
            diag_add(d, file, cfgread_line(m), 0,
                     "%sunknown setting \"%s\" in %s (did you mean \"%s\"?)", prefix, name,
                     what, sug);
        else
            diag_add(d, file, cfgread_line(m), 0, "%sunknown setting \"%s\" in %s", prefix,
                     name, what);
        ok = false;
    }
    return ok;
}
