/* tracer/read/flat.c: the recorder's own line shape, read without cJSON.
 * Nearly every line of a trace is one flat object of short ASCII strings
 * and integers, written without spaces. Such a line is read here into the
 * very nodes cJSON would build for it (after parse.c quotes its numbers),
 * so the checks that follow cannot tell the two paths apart; any other
 * line (spaces, escapes, non-ASCII, nesting, true / false / null, a
 * fraction) is left to cJSON, whose verdicts and messages stay the rule. */
#include <cjson/cJSON.h>
#include <string.h>

#include "tr_int.h"

/* A byte a plain string may hold: printable ASCII but '"' and '\\'. */
static int plain(unsigned char ch)
{
    return ch >= 0x20 && ch < 0x7f && ch != '\\';
}

/* Copies the plain string at s[*i] (its opening '"') to d + *j with a NUL;
 * *i ends past the closing '"'. 0, or -1 if it is not plain. */
static int plain_string(const char *s, size_t n, size_t *i, char *d, size_t *j)
{
    size_t k = *i + 1, o = *j;
    while (k < n && s[k] != '"') {
        if (!plain((unsigned char)s[k]))
            return -1;
        d[o++] = s[k++];
    }
    if (k == n)
        return -1;
    d[o++] = '\0';
    *i = k + 1;
    *j = o;
    return 0;
}

/* Copies the integer at s[*i] (-?(0|[1-9][0-9]*), followed by ',' or '}')
 * to d + *j as TR__NUM_MARK, its digits and a NUL, as parse.c quotes it. */
static int plain_integer(const char *s, size_t n, size_t *i, char *d, size_t *j)
{
    size_t k = *i, o = *j;
    d[o++] = TR__NUM_MARK;
    if (k < n && s[k] == '-')
        d[o++] = s[k++];
    size_t first = k;
    while (k < n && s[k] >= '0' && s[k] <= '9')
        d[o++] = s[k++];
    if (k == first || (s[first] == '0' && k - first > 1) || k == n ||
        (s[k] != ',' && s[k] != '}'))
        return -1;
    d[o++] = '\0';
    *i = k;
    *j = o;
    return 0;
}

int tr__flat_parse(const char *s, size_t n, char *text, struct cJSON *node,
                   int max)
{
    cJSON *root = &node[0];
    size_t i = 1, j = 0;
    int count = 0;
    if (n < 2 || s[0] != '{' || s[n - 1] != '}')
        return -1;
    memset(root, 0, sizeof *root);
    root->type = cJSON_Object;
    if (s[1] == '}')
        return -1; /* {} : cJSON's */
    for (;;) {
        if (count == max || s[i] != '"')
            return -1;
        cJSON *it = &node[++count];
        memset(it, 0, sizeof *it);
        it->type = cJSON_String;
        it->string = text + j;
        if (plain_string(s, n, &i, text, &j) != 0 || i >= n || s[i++] != ':' ||
            i >= n)
            return -1;
        it->valuestring = text + j;
        int rc = s[i] == '"' ? plain_string(s, n, &i, text, &j)
                             : plain_integer(s, n, &i, text, &j);
        if (rc != 0 || i >= n)
            return -1;
        it->prev = count == 1 ? NULL : &node[count - 1];
        if (count > 1)
            node[count - 1].next = it;
        else
            root->child = it;
        if (s[i] == '}') {
            root->child->prev =
                it; /* cJSON's list: the head points at the tail */
            return i + 1 == n ? 0 : -1;
        }
        if (s[i++] != ',' || i >= n)
            return -1;
    }
}
