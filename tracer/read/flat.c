/* tracer/read/flat.c: the recorder's own line shape, read without cJSON.
 * Nearly every line of a trace is one flat object of short ASCII strings
 * and integers, written without spaces. Such a line is read here into the
 * very nodes cJSON would build for it (after parse.c quotes its numbers),
 * so the checks that follow cannot tell the two paths apart; any other
 * line (spaces, escapes, non-ASCII, nesting, true / false / null, a
 * fraction) is left to cJSON, whose verdicts and messages stay the rule. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <string.h>

#include "tr_int.h"

/* What a byte is to a plain string: 0 one it may hold (printable ASCII
 * but '"' and '\\'), 1 its end ('"'), 2 anything else (NUL included). */
static unsigned char byte_class[256];

static void classes_init(void)
{
    for (int ch = 0; ch < 256; ch++)
        byte_class[ch] = ch == '"'                               ? 1
                         : ch >= 0x20 && ch < 0x7f && ch != '\\' ? 0
                                                                 : 2;
}

/* The line is copied to text at once, then read in the copy, which gets
 * the NULs in place: a string's closing '"' becomes its NUL; a number's ':'
 * becomes TR__NUM_MARK and the ',' or '}' after it the NUL, so the copy
 * holds what parse.c would have handed cJSON as "<mark>digits". A NUL
 * after the copy stops every scan. */

/* The plain string starting at t[*i] (past its '"'): NUL-terminated in
 * place, *i past it. 0, or -1 if it is not plain or not closed. */
static int plain_string(char *t, size_t *i)
{
    size_t k = *i;
    while (byte_class[(unsigned char)t[k]] == 0)
        k++;
    if (t[k] != '"')
        return -1;
    t[k] = '\0';
    *i = k + 1;
    return 0;
}

/* The integer at t[*i] (-?(0|[1-9][0-9]*)), which must end at a ',' or
 * '}' (left at t[*i] for the caller, then overwritten by the NUL). */
static int plain_integer(char *t, size_t *i)
{
    size_t k = *i + (t[*i] == '-'), first = k;
    while ((unsigned)(t[k] - '0') < 10u)
        k++;
    if (k == first || (t[first] == '0' && k - first > 1) ||
        (t[k] != ',' && t[k] != '}'))
        return -1;
    *i = k;
    return 0;
}

int tr__flat_parse(const char *s, size_t n, char *text, struct cJSON *node,
                   int max)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    cJSON *root = &node[0];
    size_t i = 1;
    int count = 0;
    if (n < 2 || s[0] != '{' || s[n - 1] != '}' ||
        s[1] == '}') /* {}: cJSON's */
        return -1;
    pthread_once(&once, classes_init);
    memcpy(text, s, n);
    text[n] = '\0';
    memset(root, 0, sizeof *root);
    root->type = cJSON_Object;
    for (;;) {
        if (count == max || text[i] != '"')
            return -1;
        cJSON *it = &node[++count];
        memset(it, 0, sizeof *it);
        it->type = cJSON_String;
        it->string = &text[++i];
        if (plain_string(text, &i) != 0 || text[i] != ':')
            return -1;
        int rc;
        if (text[i + 1] == '"') {
            i += 2;
            it->valuestring = &text[i];
            rc = plain_string(text, &i);
        } else {
            text[i] = TR__NUM_MARK;
            it->valuestring = &text[i++];
            rc = plain_integer(text, &i);
        }
        if (rc != 0)
            return -1;
        it->prev = count == 1 ? NULL : &node[count - 1];
        if (count > 1)
            node[count - 1].next = it;
        else
            root->child = it;
        char sep = text[i];
        if (sep != ',' && sep != '}')
            return -1;
        text[i++] = '\0';
        if (sep == '}') {
            root->child->prev =
                it; /* cJSON's list: the head points at the tail */
            return i == n ? 0 : -1;
        }
    }
}
