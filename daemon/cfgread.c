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

/* Why this walk is needed: libconfig 1.5 (Debian 12's libconfig9
 * 1.5-0.4, lib/libconfig.c) copies names and strings with strdup and
 * does not check the result:
 *   config_setting_create:      setting->name = strdup(name);
 *   config_setting_set_string:  setting->value.sval = strdup(value);
 * (the parser reaches the second through config_setting_set_string_elem
 * for the elements of arrays and lists too). A failed strdup leaves a
 * group member without a name, which config_setting_get_member then
 * never finds (__config_list_search skips NULL names), or a string
 * setting whose value is NULL, and config_read* still returns
 * CONFIG_TRUE: the file would load with settings missing. Every other
 * allocation of its parser is dereferenced at once (the setting itself,
 * its list, the strbuf of a string being scanned), so its failure
 * crashes inside libconfig or exits from the flex scanner, never loads
 * less. Hence the two checks below cover every silent loss; bool, int
 * and float values are stored in the setting itself. */
bool
cfgread_complete(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
        return config_setting_get_string(s) != NULL;
    case CONFIG_TYPE_GROUP:
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST: {
        bool group = config_setting_type(s) == CONFIG_TYPE_GROUP;
        int n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            if (e == NULL || (group && config_setting_name(e) == NULL) || !cfgread_complete(e))
                return false;
        }
        return true;
    }
    default:
        return true;
    }
}
